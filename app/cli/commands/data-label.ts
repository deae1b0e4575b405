/** `pipeline data label`: feedback for a logged request, checked against its model's classes, and its capture sidecar. */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../../lib/fs-atomic.ts';
import { UsageError } from '../../../runner/errors.ts';
import type { Stores } from '../../../stores/index.ts';

export async function labelPrediction(stores: Stores, o: { requestId: string; label: string; capturedDir: string; by: string }) {
  const rows = await stores.predictions.byRequest(o.requestId);
  if (!rows.length) throw new UsageError(`no logged prediction has request id '${o.requestId}' (the X-Request-Id /predict answered with)`);
  const row = rows[0]!;
  const version = await stores.registry.resolve(row.modelName, row.modelVersion);
  const labels = version ? (JSON.parse(fs.readFileSync(path.join(version.artifactDir, 'labels.json'), 'utf8')) as string[]) : undefined;
  const labelId = labels ? labels.indexOf(o.label) : -1;
  if (labels && labelId < 0) throw new UsageError(`'${o.label}' is not a class of ${row.modelName} v${row.modelVersion}; its classes: ${labels.join(', ')}`);
  await stores.predictions.recordFeedback({ requestId: o.requestId, label: o.label, labelId: labelId < 0 ? null : labelId, ts: Date.now(), source: o.by });
  const sidecar = path.join(o.capturedDir, `${o.requestId}.json`);
  let capture: string | undefined;
  if (fs.existsSync(sidecar)) {
    const meta = JSON.parse(fs.readFileSync(sidecar, 'utf8')) as Record<string, unknown>;
    writeFileAtomic(sidecar, `${JSON.stringify({ ...meta, label: o.label, labelledBy: o.by, labelledAt: new Date().toISOString() }, null, 2)}\n`);
    capture = sidecar;
  }
  return { model: row.modelName, version: row.modelVersion, predicted: row.top1Class, capture };
}
