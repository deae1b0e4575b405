/**
 * onnxruntime-node sessions with the project's thread settings, and a batch-in/matrix-out helper shared by the
 * backbone, export parity checks and the server.
 */
import ort from 'onnxruntime-node';

export type Session = ort.InferenceSession;

export interface SessionOptions {
  /** Threads inside one operator (the convolutions). Default: ORT's choice (one per core). */
  readonly intraOpNumThreads?: number;
  /** Threads across independent operators; 1 suits these sequential graphs. */
  readonly interOpNumThreads?: number;
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Let idle ORT threads spin (default false). Spinning buys a little latency on an otherwise idle machine, but
   * burns a core that sharp decoding needs on a small one (measured: 2 threads cost 6.5 instead of 4.3 ms CPU/image).
   */
  readonly allowSpinning?: boolean;
}

/** Creates a CPU session from model bytes or a file path. */
export async function createSession(model: Uint8Array | string, opts: SessionOptions = {}): Promise<Session> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
    executionMode: 'sequential',
    interOpNumThreads: opts.interOpNumThreads ?? 1,
    ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
    extra: { session: { intra_op: { allow_spinning: opts.allowSpinning ? '1' : '0' }, inter_op: { allow_spinning: opts.allowSpinning ? '1' : '0' } } },
  };
  try {
    return typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  } catch (err) {
    const what = typeof model === 'string' ? model : `(${model.length}-byte model)`;
    throw new Error(`onnxruntime cannot load ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Runs `n` items of shape `itemDims` (e.g. [3,224,224]) packed row-major in `batch` and returns the output
 * `outputName` (default: the session's first output) as an `n x C` row-major matrix.
 */
export async function runLogits(
  session: Session,
  inputName: string,
  batch: Float32Array,
  n: number,
  itemDims: readonly number[],
  outputName: string = session.outputNames[0]!,
): Promise<{ data: Float32Array; cols: number }> {
  const per = itemDims.reduce((a, b) => a * b, 1);
  if (batch.length < n * per) throw new Error(`batch holds ${batch.length} values, need ${n} x ${per}`);
  const view = batch.length === n * per ? batch : batch.subarray(0, n * per);
  const input = new ort.Tensor('float32', view, [n, ...itemDims]);
  const out = await session.run({ [inputName]: input }, [outputName]);
  const t = out[outputName]!;
  const data = t.data as Float32Array;
  return { data, cols: n > 0 ? data.length / n : 0 };
}
