/**
 * `POST /feedback {request_id, label}`: a true label for a logged prediction (class name or id). The request id is
 * the server's (`X-Request-Id` of the answer, `request_id` in its body). Unknown request or label: 4xx saying which.
 */
import type { Context } from 'koa';
import { HttpError } from './errors.ts';
import type { ModelHolder } from './model-holder.ts';
import type { FeedbackPort } from './rollout-port.ts';

const MAX_BODY = 16 * 1024;

async function readJson(ctx: Context): Promise<unknown> {
  if (!ctx.is('application/json')) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send feedback as JSON (Content-Type: application/json): {"request_id": "...", "label": "pizza"}');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `a feedback body is at most ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new HttpError(400, 'MALFORMED_JSON', `the body is not JSON: ${(err as Error).message}`);
  }
}

export interface FeedbackDeps {
  readonly feedback: FeedbackPort;
  readonly holder: ModelHolder;
  /** Flush buffered prediction-log rows (a label can arrive before its prediction was written). */
  readonly flush?: () => Promise<void>;
}

/** Class names of the loaded model with this version (every slot is searched), else undefined. */
function labelsOf(holder: ModelHolder, version: number): readonly string[] | undefined {
  for (const slot of holder.aliases()) {
    const m = holder.current(slot);
    if (m?.version === version) return m.labels;
  }
  return undefined;
}

export async function handleFeedback(ctx: Context, d: FeedbackDeps): Promise<void> {
  const body = (await readJson(ctx)) as { request_id?: unknown; label?: unknown } | null;
  const requestId = body?.request_id;
  const label = body?.label;
  if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 200) {
    throw new HttpError(400, 'BAD_FEEDBACK', "'request_id' must be the request id the server answered with (X-Request-Id / request_id of /predict)");
  }
  if (!(typeof label === 'string' && label.length > 0) && !(typeof label === 'number' && Number.isInteger(label))) {
    throw new HttpError(400, 'BAD_FEEDBACK', "'label' must be a class name (\"pizza\") or a class id (an integer)");
  }
  let rows = await d.feedback.byRequest(requestId);
  if (rows.length === 0 && d.flush) {
    await d.flush().catch(() => {});
    rows = await d.feedback.byRequest(requestId);
  }
  if (rows.length === 0) throw new HttpError(404, 'UNKNOWN_REQUEST', `no prediction has request id '${requestId}': use the id the server answered with (X-Request-Id), not your own`);
  const row = rows[0]!;
  const labels = labelsOf(d.holder, row.modelVersion) ?? labelsOf(d.holder, rows.at(-1)!.modelVersion);
  let labelId: number | null = null;
  let name: string;
  if (labels) {
    labelId = typeof label === 'number' ? label : labels.indexOf(label);
    if (labelId < 0 || labelId >= labels.length) {
      const shown = labels.slice(0, 10).join(', ') + (labels.length > 10 ? ', ...' : '');
      throw new HttpError(422, 'UNKNOWN_LABEL', `label ${JSON.stringify(label)} is not a class of ${row.modelName} v${row.modelVersion} (${labels.length} classes: ${shown}; ids 0..${labels.length - 1})`);
    }
    name = labels[labelId]!;
  } else {
    // The version that answered is no longer loaded: a name is taken as is, an id cannot be resolved.
    if (typeof label === 'number') throw new HttpError(422, 'UNKNOWN_LABEL', `v${row.modelVersion} is no longer loaded, so class id ${label} cannot be resolved: send the class name`);
    name = label;
  }
  const ok = await d.feedback.recordFeedback({ requestId, label: name, labelId, ts: Date.now(), source: 'api' });
  if (!ok) throw new HttpError(404, 'UNKNOWN_REQUEST', `no prediction has request id '${requestId}'`);
  ctx.body = { request_id: requestId, label: name, label_id: labelId, variants: rows.map((r) => r.variant ?? null) };
}
