/**
 * Capture for relabelling (opt-in, `serve.with.monitoring.capture`): a bounded, sampled set of uploads the model
 * was unsure about (top-1 probability below `lowConfidence`) or that look out of scope (Mahalanobis score above
 * the version's calibrated threshold), kept under `data/captured/` with their request ids so a person can label
 * them (`pipeline data label <request_id> <class>`). Each capture is the upload's bytes plus a JSON sidecar, both
 * written atomically (temp + rename); the set stops growing at `maxImages` or `maxBytes` (nothing is evicted: the
 * oldest unlabelled photos are the ones a person has not seen yet). Writes happen after the answer, off the
 * request's path; a failure is logged, never thrown.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../lib/fs-atomic.ts';
import { outOfScopeScore, type OutOfScopeModel } from '../ml/monitoring/out-of-scope.ts';
import type { PredictionRecord } from '../stores/prediction-log.ts';

export interface CaptureOptions {
  readonly dir: string;
  readonly outOfScope: boolean;
  /** Capture when the top-1 probability is below this (0 disables). */
  readonly lowConfidence: number;
  /** Share of the qualifying uploads kept (1 = all). */
  readonly sample: number;
  readonly maxImages: number;
  readonly maxBytes: number;
  readonly outOfScopeModel: (modelName: string, version: number) => OutOfScopeModel | null;
  readonly log: { warn(message: string): void };
  readonly random?: () => number;
}

/** The sidecar of one captured upload. */
export interface CaptureMeta {
  readonly requestId: string;
  readonly ts: string;
  readonly model: string;
  readonly version: number;
  readonly predicted: string | null;
  readonly probability: number | null;
  readonly reasons: readonly string[];
  readonly file: string;
  readonly bytes: number;
  /** Set by `pipeline data label`. */
  readonly label?: string;
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export type Capture = (row: PredictionRecord, bytes: Buffer) => void;

export function createCapture(o: CaptureOptions): Capture {
  fs.mkdirSync(o.dir, { recursive: true });
  // What is there already counts against the bounds (the set survives restarts).
  let count = 0;
  let used = 0;
  for (const f of fs.readdirSync(o.dir)) {
    if (!f.endsWith('.json')) continue;
    count++;
    try {
      used += (JSON.parse(fs.readFileSync(path.join(o.dir, f), 'utf8')) as CaptureMeta).bytes;
    } catch {
      // a sidecar being written by another replica: counted, its size unknown
    }
  }
  const random = o.random ?? Math.random;
  return (row, bytes) => {
    const prob = row.topK[0]?.prob ?? null;
    const reasons: string[] = [];
    if (o.lowConfidence > 0 && prob !== null && prob < o.lowConfidence) reasons.push(`low confidence (${prob.toFixed(3)} < ${o.lowConfidence})`);
    if (o.outOfScope && row.embedding) {
      const oos = o.outOfScopeModel(row.modelName, row.modelVersion);
      if (oos && row.embedding.length === oos.model.dim) {
        const score = outOfScopeScore(oos, row.embedding);
        if (score > oos.threshold) reasons.push(`out of scope (score ${score.toFixed(1)} > ${oos.threshold.toFixed(1)})`);
      }
    }
    if (!reasons.length || random() >= o.sample) return;
    if (count >= o.maxImages || used + bytes.length > o.maxBytes) return;
    if (!SAFE_ID.test(row.requestId)) return;
    count++;
    used += bytes.length;
    const file = `${row.requestId}.${row.imageFormat === 'png' ? 'png' : row.imageFormat === 'webp' ? 'webp' : 'jpg'}`;
    const meta: CaptureMeta = {
      requestId: row.requestId, ts: new Date(row.ts).toISOString(), model: row.modelName, version: row.modelVersion,
      predicted: row.topK[0]?.class ?? null, probability: prob, reasons, file, bytes: bytes.length,
    };
    setImmediate(() => {
      try {
        writeFileAtomic(path.join(o.dir, file), bytes);
        writeFileAtomic(path.join(o.dir, `${row.requestId}.json`), `${JSON.stringify(meta, null, 2)}\n`);
      } catch (err) {
        o.log.warn(`capture ${row.requestId}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  };
}
