/**
 * Which store a pipeline or a CLI command uses, decided in one place so that `run`, `serve`, `runs`, `registry`,
 * `mlflow` and `store migrate` agree:
 * 1. `--store URL` (CLI commands), else
 * 2. the pipeline's `store.url` (whose conventional value is `${MLOPS_STORE_URL:-sqlite:experiments/mlops.db}`), else
 * 3. `MLOPS_STORE_URL`, else
 * 4. `sqlite:<paths.experiments>/mlops.db` of the pipeline (or ./experiments/mlops.db without one).
 * Registered model files go to `<paths.experiments>/registry` (beside the file for `--store <file>.db`).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PipelineConfig } from '../runner/config/pipeline-config.ts';
import { projectPaths } from '../runner/engine.ts';
import { parseStoreUrl, type StoreLocation } from '../stores/sql/index.ts';

export const STORE_URL_ENV = 'MLOPS_STORE_URL';

export interface StoreChoice {
  readonly location: StoreLocation;
  readonly registryDir: string;
  /** How it was chosen, for messages. */
  readonly from: '--store' | 'store.url' | typeof STORE_URL_ENV | 'default';
}

/** The store of a loaded pipeline (steps 2-4 above). */
export function storeForPipeline(config: PipelineConfig, env: NodeJS.ProcessEnv = process.env): StoreChoice {
  const { experiments } = projectPaths(config);
  const registryDir = path.join(experiments, 'registry');
  const section = config.sections.store as { url?: string } | undefined;
  if (section?.url) return { location: parseStoreUrl(section.url, config.workdir), registryDir, from: 'store.url' };
  if (env[STORE_URL_ENV]) return { location: parseStoreUrl(env[STORE_URL_ENV]!, config.workdir), registryDir, from: STORE_URL_ENV };
  return { location: { kind: 'sqlite', file: path.join(experiments, 'mlops.db') }, registryDir, from: 'default' };
}

/**
 * The store of a CLI command: `--store`, else the pipeline file (`--pipeline`, else the default file when it
 * exists), else the environment or ./experiments/mlops.db. `load` loads a pipeline file.
 */
export async function storeForFlags(
  flags: { store?: string; pipeline?: string },
  load: (file: string) => Promise<PipelineConfig>,
  defaultPipeline: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StoreChoice> {
  // With --store, the default pipeline is not read (a problem in it must not block reading another store).
  const file = flags.pipeline ?? (!flags.store && fs.existsSync(defaultPipeline) ? defaultPipeline : undefined);
  const config = file ? await load(file) : undefined;
  if (flags.store) {
    const location = parseStoreUrl(flags.store);
    const registryDir = config
      ? path.join(projectPaths(config).experiments, 'registry')
      : location.kind === 'sqlite' ? path.join(path.dirname(location.file), 'registry') : path.resolve('experiments', 'registry');
    return { location, registryDir, from: '--store' };
  }
  if (config) return storeForPipeline(config, env);
  const registryDir = path.resolve('experiments', 'registry');
  if (env[STORE_URL_ENV]) return { location: parseStoreUrl(env[STORE_URL_ENV]!), registryDir, from: STORE_URL_ENV };
  return { location: { kind: 'sqlite', file: path.resolve('experiments', 'mlops.db') }, registryDir, from: 'default' };
}
