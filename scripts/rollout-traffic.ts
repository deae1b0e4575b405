/**
 * Traffic for a rollout, as users with ground truth would send it: photos POSTed to /predict as many users
 * (X-User-Id), each answer's true class sent to POST /feedback, until the rollout ends (GET /rollout) or `max`
 * requests. Shared by scripts/rollout-demo.ts and scripts/rollout-e2e.ts. Counts every request that did not get a
 * 200 (and every feedback that was refused): a rollout must never fail one.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Photo {
  readonly cls: string;
  readonly file: string;
}

/** Every `<dir>/images/<class>/*.jpg` (of `classes`, default all). */
export function folderPhotos(dataDir: string, classes?: readonly string[]): Photo[] {
  const root = path.join(dataDir, 'images');
  const names = classes ?? fs.readdirSync(root).sort();
  return names.flatMap((c) => fs.readdirSync(path.join(root, c)).filter((f) => f.endsWith('.jpg')).sort().map((f) => ({ cls: c, file: path.join(root, c, f) })));
}

/** The photos of a split CSV (`path,class,...`, paths relative to the data set root): e.g. the test split. */
export function splitPhotos(csvFile: string, dataDir: string): Photo[] {
  const [, ...rows] = fs.readFileSync(csvFile, 'utf8').trim().split('\n');
  return rows.map((r) => {
    const [file, cls] = r.split(',');
    return { cls: cls!, file: path.join(dataDir, file!) };
  });
}

export interface TrafficOptions {
  readonly url: string;
  readonly photos: readonly Photo[];
  readonly max: number;
  readonly users?: number;
  /** Requests in flight at once. */
  readonly concurrency?: number;
  /** Probability of a wrong label (a noisier ground truth). */
  readonly wrong?: number;
  /** Stop when this rollout (GET /rollout) has left `progressing`; checked every 50 requests. */
  readonly rolloutId?: string;
  /** Added to the user ids so that two runs do not share users. */
  readonly userPrefix?: string;
  readonly onProgress?: (line: string) => void;
  /** Called with each 200 answer (the shadow check compares them). */
  readonly onAnswer?: (photo: Photo, body: string, headers: Headers) => void;
}

export interface TrafficResult {
  answered: number;
  failed: number;
  feedbackRefused: number;
  /** `<variant> v<version>` -> answers. */
  readonly byVariant: Map<string, number>;
  seconds: number;
  /** The rollout's phase when the traffic stopped (null without `rolloutId`). */
  phase: string | null;
  readonly failures: string[];
}

export async function sendTraffic(o: TrafficOptions): Promise<TrafficResult> {
  if (!o.photos.length) throw new Error('no photos to send: check the data directory (<dir>/images/<class>/*.jpg)');
  const r: TrafficResult = { answered: 0, failed: 0, feedbackRefused: 0, byVariant: new Map(), seconds: 0, phase: null, failures: [] };
  const classes = [...new Set(o.photos.map((p) => p.cls))].sort();
  const started = Date.now();
  let next = 0;
  let stop = false;
  const one = async (i: number): Promise<void> => {
    const p = o.photos[(i * 7919) % o.photos.length]!;
    const form = new FormData();
    form.append('file', new Blob([fs.readFileSync(p.file)], { type: 'image/jpeg' }), path.basename(p.file));
    const res = await fetch(`${o.url}/predict`, { method: 'POST', body: form, headers: { 'X-User-Id': `${o.userPrefix ?? 'user'}-${i % (o.users ?? 200)}` } });
    const text = await res.text();
    if (res.status !== 200) {
      r.failed++;
      r.failures.push(`${p.file}: HTTP ${res.status} ${text.slice(0, 200)}`);
      return;
    }
    r.answered++;
    o.onAnswer?.(p, text, res.headers);
    const key = `${res.headers.get('x-variant') ?? 'none'} v${res.headers.get('x-model-version')}`;
    r.byVariant.set(key, (r.byVariant.get(key) ?? 0) + 1);
    const label = o.wrong && Math.random() < o.wrong ? classes[(classes.indexOf(p.cls) + 1) % classes.length]! : p.cls;
    const fb = await fetch(`${o.url}/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ request_id: (JSON.parse(text) as { request_id: string }).request_id, label }) });
    await fb.arrayBuffer();
    if (fb.status !== 200) r.feedbackRefused++;
  };
  const check = async (): Promise<void> => {
    const body = (await (await fetch(`${o.url}/rollout`)).json()) as { rollout: { id: string; phase: string; currentStep: number } | null };
    const s = body.rollout;
    o.onProgress?.(`${r.answered} answered, ${r.failed} failed; rollout ${s ? `${s.phase} at step ${s.currentStep + 1}` : 'none'}`);
    if (o.rolloutId && s?.id === o.rolloutId) {
      r.phase = s.phase;
      if (s.phase !== 'progressing') stop = true;
    }
  };
  const worker = async (): Promise<void> => {
    while (!stop && next < o.max) {
      const i = next++;
      await one(i);
      if (i % 50 === 49) await check();
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 1 }, worker));
  r.seconds = (Date.now() - started) / 1000;
  return r;
}

export function describeTraffic(r: TrafficResult): string {
  const lines = [`${r.answered} requests answered, ${r.failed} failed, ${r.feedbackRefused} feedback refused in ${r.seconds.toFixed(1)} s; answered by:`];
  for (const [k, n] of [...r.byVariant].sort()) lines.push(`  ${k}: ${n} (${((100 * n) / r.answered).toFixed(1)}%)`);
  return lines.join('\n');
}
