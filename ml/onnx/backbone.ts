/**
 * The frozen, pretrained backbone: verified by sha256, given a float32 `features` output, run in onnxruntime-node.
 */
import fs from 'node:fs';
import { sha256 } from '../../lib/hash.ts';
import { addFeatureOutput } from './feature-output.ts';
import { decodeModel, encodeModel } from './proto.ts';
import { createSession, runLogits, type Session } from './session.ts';
import { featureNodeList, type FeatureNodes } from './types.ts';

export interface BackboneOptions {
  readonly path: string;
  /** Expected sha256 (hex) of the file. */
  readonly sha256: string;
  /** Name of the graph input (default: the model's first input). */
  readonly input?: string;
  /** Where the features are: one node or several (concatenated). */
  readonly featureNode: FeatureNodes;
  /** onnxruntime intra-op threads (default: one per core). */
  readonly threads?: number;
  /** Let idle ORT threads spin (default false; see SessionOptions.allowSpinning). */
  readonly allowSpinning?: boolean;
}

export interface Backbone {
  readonly path: string;
  readonly sha256: string;
  /**
   * Names the features this backbone gives: the file's sha256 with the feature node(s) read from it. Two
   * pipelines share stored vectors only if this (and the preprocessing id) match.
   */
  readonly featureId: string;
  /** Feature dimension (1280 for MobileNetV2). */
  readonly dim: number;
  readonly inputName: string;
  /** Dims of one input item, e.g. [3, 224, 224]. */
  readonly itemDims: readonly number[];
  /** `n` images packed NCHW in `batch` -> `n x dim` float32 features, row-major. */
  features(batch: Float32Array, n: number): Promise<Float32Array>;
  /** The original classifier's logits (`n x 1000`), for checks. */
  logits(batch: Float32Array, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/**
 * The features' identity: sha256 over the file's hash and the canonical list of feature nodes, so another layer of
 * the same file is another feature space (`pool` is left out: 'auto' and 'average' give the same vectors).
 */
export function backboneFeatureId(fileSha256: string, nodes: FeatureNodes): string {
  const list = featureNodeList(nodes).map((n) => ({ tensor: n.tensor, scale: n.scale ?? null, zeroPoint: n.zeroPoint ?? null }));
  return sha256(JSON.stringify({ backbone: fileSha256.toLowerCase(), nodes: list }));
}

/** A backbone file whose bytes are not the ones the pipeline names. */
export class BackboneHashError extends Error {
  readonly code = 'BACKBONE_SHA256_MISMATCH';
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `backbone ${file}: sha256 mismatch: expected ${expected}, got ${actual}. ` +
        'This file is not the model the pipeline names (partial download, another version, or edited). ' +
        'Fetch the original again (see ../shared/models/README.md for its source), or if you mean to switch backbones, ' +
        'set backbone.sha256 in the pipeline file to the new hash (its features form a new feature space).',
    );
    this.name = 'BackboneHashError';
  }
}

/** Reads `path`, checking its sha256 against `expected` (throws BackboneHashError). */
export async function readVerified(file: string, expected: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (err) {
    throw new Error(`backbone ${file}: cannot read it (${(err as Error).message}). Set backbone.path in the pipeline file or the BACKBONE_ONNX environment variable.`, { cause: err });
  }
  const actual = sha256(bytes);
  if (actual !== expected.toLowerCase()) throw new BackboneHashError(file, expected, actual);
  return bytes;
}

/** Loads, verifies and opens the backbone. The file on disk is never modified: the feature output is added in memory. */
export async function loadBackbone(opts: BackboneOptions): Promise<Backbone> {
  const bytes = await readVerified(opts.path, opts.sha256);
  const model = decodeModel(bytes);
  const graph = model.graph!;
  const inputName = opts.input ?? graph.input?.[0]?.name ?? 'input';
  const inputInfo = graph.input?.find((i) => i.name === inputName);
  if (!inputInfo) throw new Error(`backbone ${opts.path}: no graph input '${inputName}' (inputs: ${(graph.input ?? []).map((i) => i.name).join(', ')})`);
  const itemDims = (inputInfo.type?.tensorType?.shape?.dim ?? []).slice(1).map((d) => Number(d.dimValue ?? 0));
  if (itemDims.length !== 3 || itemDims.some((d) => !(d > 0))) throw new Error(`backbone ${opts.path}: input '${inputName}' must be [N, C, H, W] with fixed C, H, W`);
  const originalOutput = graph.output?.[0]?.name ?? 'output';
  let dim = addFeatureOutput(model, opts.featureNode, 'features');
  const session: Session = await createSession(encodeModel(model), { intraOpNumThreads: opts.threads, allowSpinning: opts.allowSpinning });
  const per = itemDims.reduce((a, b) => a * b, 1);
  // One warm-up run: the first run allocates; it also reads the dim when the graph does not declare it.
  const probe = await runLogits(session, inputName, new Float32Array(per), 1, itemDims, 'features');
  if (dim !== undefined && dim !== probe.cols) throw new Error(`backbone ${opts.path}: feature dim ${probe.cols} at run time, graph says ${dim}`);
  dim = probe.cols;
  return {
    path: opts.path,
    sha256: opts.sha256.toLowerCase(),
    featureId: backboneFeatureId(opts.sha256, opts.featureNode),
    dim,
    inputName,
    itemDims,
    features: async (batch, n) => (await runLogits(session, inputName, batch, n, itemDims, 'features')).data,
    logits: async (batch, n) => (await runLogits(session, inputName, batch, n, itemDims, originalOutput)).data,
    dispose: () => session.release(),
  };
}
