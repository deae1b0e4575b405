/**
 * Picks the tfjs backend a training run uses: tfjs-node-gpu > tfjs-node > wasm > plain JS cpu. The native
 * packages are optionalDependencies (their install downloads libtensorflow), so they are imported dynamically and
 * their absence is normal. wasm has no Conv2DBackpropFilter kernel, so it is skipped for runs that train
 * convolutions.
 */
import * as tfjs from '@tensorflow/tfjs';
import type { BackendPreference } from './preferences.ts';
import { patchWasmMatMul } from './wasm-matmul.ts';

export { backendPreferences, type BackendPreference } from './preferences.ts';

export type Tf = typeof tfjs;

export interface SelectedBackend {
  /** The tf namespace to use: tfjs-node re-exports tfjs with its own core, so never mix it with a static import. */
  readonly tf: Tf;
  /** Which backend runs: 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu'. */
  readonly name: Exclude<BackendPreference, 'auto'>;
  /** What was tried and why, for the run's log. */
  readonly detail: string;
}

export interface BackendNeeds {
  /** The model trains convolutions (the wasm backend cannot). */
  readonly convTraining: boolean;
}

type Concrete = Exclude<BackendPreference, 'auto'>;

const nativePackages: Readonly<Record<'tensorflow-gpu' | 'tensorflow', string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

const installHint: Readonly<Record<Concrete, string>> = {
  'tensorflow-gpu': 'npm install @tensorflow/tfjs-node-gpu (needs CUDA/cuDNN and internet access: its install downloads libtensorflow)',
  tensorflow: 'npm install @tensorflow/tfjs-node (its install downloads libtensorflow from the internet)',
  wasm: 'npm install @tensorflow/tfjs-backend-wasm',
  cpu: 'npm install @tensorflow/tfjs',
};

class Unavailable extends Error {}

async function tryNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<SelectedBackend> {
  const pkg = nativePackages[name];
  let mod: Tf;
  try {
    // A variable specifier: the package is optional and may not exist for the type checker either.
    const specifier: string = pkg;
    mod = (await import(specifier)) as Tf;
  } catch (err) {
    const missing = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(pkg);
    throw new Unavailable(missing ? `${pkg} is not installed` : `${pkg} failed to load (${firstLine(err)})`);
  }
  if (!(await mod.setBackend('tensorflow'))) throw new Unavailable(`${pkg} loaded but its 'tensorflow' backend failed to initialise`);
  await mod.ready();
  const version = (mod.version as Record<string, string | undefined>)['tfjs-node'] ?? mod.version_core;
  return { tf: mod, name, detail: `${pkg} ${version}` };
}

async function tryWasm(needs: BackendNeeds): Promise<SelectedBackend> {
  if (needs.convTraining) {
    throw new Unavailable('wasm cannot train convolutions (no Conv2DBackpropFilter kernel)');
  }
  try {
    await import('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    throw new Unavailable(`@tensorflow/tfjs-backend-wasm failed to load (${firstLine(err)})`);
  }
  if (!(await tfjs.setBackend('wasm'))) throw new Unavailable('the wasm backend failed to initialise');
  await tfjs.ready();
  patchWasmMatMul(tfjs);
  return { tf: tfjs, name: 'wasm', detail: `@tensorflow/tfjs-backend-wasm ${tfjs.version_core} (single-threaded SIMD)` };
}

async function tryCpu(): Promise<SelectedBackend> {
  if (!(await tfjs.setBackend('cpu'))) throw new Unavailable('the cpu backend failed to initialise');
  await tfjs.ready();
  // The cpu backend prints a "install tfjs-node" banner on first use; `detail` already says so, once, in the log.
  (tfjs.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return { tf: tfjs, name: 'cpu', detail: `@tensorflow/tfjs ${tfjs.version_core} plain JavaScript cpu backend (slow)` };
}

function attempt(name: Concrete, needs: BackendNeeds): Promise<SelectedBackend> {
  if (name === 'wasm') return tryWasm(needs);
  if (name === 'cpu') return tryCpu();
  return tryNative(name);
}

/**
 * Initialises and returns a backend. 'auto' walks tensorflow-gpu, tensorflow, wasm (unless convolutions must
 * train), cpu and reports what it skipped in `detail`; an explicit preference that cannot run is an error naming
 * the package to install.
 */
export async function selectBackend(preference: BackendPreference, needs: BackendNeeds): Promise<SelectedBackend> {
  if (preference !== 'auto') {
    try {
      return await attempt(preference, needs);
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
      const hint = preference === 'wasm' && needs.convTraining
        ? "use backend 'cpu' (slow) or install @tensorflow/tfjs-node(-gpu) for models that train convolutions"
        : `install it: ${installHint[preference]}`;
      throw new Error(`training backend '${preference}' is not available: ${err.message}; ${hint}`, { cause: err });
    }
  }
  const skipped: string[] = [];
  for (const name of ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const) {
    try {
      const chosen = await attempt(name, needs);
      return { ...chosen, detail: skipped.length ? `${chosen.detail}; skipped: ${skipped.join('; ')}` : chosen.detail };
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
      skipped.push(err.message);
    }
  }
  throw new Error(`no tfjs backend could start: ${skipped.join('; ')}`);
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.slice(0, 200);
}
