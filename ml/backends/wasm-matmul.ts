/**
 * The wasm backend multiplies through XNNPACK only when neither operand is transposed; `transposeA`/`transposeB`
 * fall back to a naive loop that is 10-20x slower. Backpropagation through a Dense layer asks for exactly those
 * products (dW = xᵀ·dy, dx = dy·Wᵀ), so training spent most of its time there. This patch transposes the operand
 * explicitly (a cheap kernel) and multiplies on the fast path. Numerically the same products, summed in a
 * different order.
 */
import type * as tfjs from '@tensorflow/tfjs';

type Tf = typeof tfjs;
type KernelFunc = tfjs.KernelConfig['kernelFunc'];
type TensorInfo = tfjs.TensorInfo;

const PATCHED = Symbol.for('food101.wasmMatMulPatched');

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return perm;
}

function wrap(original: KernelFunc, transpose: KernelFunc): KernelFunc {
  const patched: KernelFunc = (args) => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean } | undefined;
    if (!attrs?.transposeA && !attrs?.transposeB) return original(args);
    const backend = args.backend as { disposeData(id: object): void };
    const inputs = { ...args.inputs } as Record<string, TensorInfo>;
    const temps: TensorInfo[] = [];
    for (const [key, flag] of [['a', attrs.transposeA], ['b', attrs.transposeB]] as const) {
      if (!flag) continue;
      const x = inputs[key]!;
      const t = transpose({ inputs: { x }, backend: args.backend, attrs: { perm: swapLastTwo(x.shape.length) } }) as TensorInfo;
      temps.push(t);
      inputs[key] = t;
    }
    try {
      return original({ ...args, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
  (patched as unknown as Record<symbol, boolean>)[PATCHED] = true;
  return patched;
}

/**
 * Re-registers the wasm `BatchMatMul` and `_FusedMatMul` kernels with the explicit-transpose wrapper. Idempotent;
 * call after the wasm backend is initialised (the original kernels' setup has run).
 */
export function patchWasmMatMul(tf: Tf): void {
  const transpose = tf.getKernel('Transpose', 'wasm')?.kernelFunc;
  if (!transpose) return;
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const config = tf.getKernel(name, 'wasm');
    if (!config || (config.kernelFunc as unknown as Record<symbol, boolean>)[PATCHED]) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: wrap(config.kernelFunc, transpose) });
  }
}
