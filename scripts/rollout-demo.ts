/**
 * Drives a rollout for a demo (README "Rolling out a new model"): POSTs photos from a Food-101 style folder
 * (`<dir>/images/<class>/*.jpg`) to a running server as many users (X-User-Id), sends each answer's true class to
 * POST /feedback, and stops when the rollout ends (GET /rollout) or after --max requests. Prints the split.
 *
 *   node --import tsx scripts/rollout-demo.ts --url http://127.0.0.1:8000 --data ../shared/data/food101-mini [--max 3000] [--users 200] [--wrong 0]
 *
 * `--wrong p` sends a wrong label with probability p (a noisier ground truth).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8000' },
    data: { type: 'string', default: '../shared/data/food101-mini' },
    max: { type: 'string', default: '3000' },
    users: { type: 'string', default: '200' },
    classes: { type: 'string' },
    wrong: { type: 'string', default: '0' },
  },
});
const url = values.url!;
const root = path.join(values.data!, 'images');
const classes = values.classes ? values.classes.split(',') : fs.readdirSync(root).sort();
const photos = classes.flatMap((c) => fs.readdirSync(path.join(root, c)).filter((f) => f.endsWith('.jpg')).sort().map((f) => ({ cls: c, file: path.join(root, c, f) })));
if (!photos.length) throw new Error(`no photos under ${root}/<class>/*.jpg`);

const counts = new Map<string, number>();
let failed = 0;
let done = 0;
const started = Date.now();
for (let i = 0; i < Number(values.max); i++) {
  const p = photos[(i * 7919) % photos.length]!;
  const form = new FormData();
  form.append('file', new Blob([fs.readFileSync(p.file)], { type: 'image/jpeg' }), path.basename(p.file));
  const res = await fetch(`${url}/predict`, { method: 'POST', body: form, headers: { 'X-User-Id': `user-${i % Number(values.users)}` } });
  const body = (await res.json()) as { request_id?: string };
  if (res.status !== 200) {
    failed++;
    continue;
  }
  const key = `${res.headers.get('x-variant') ?? 'none'} v${res.headers.get('x-model-version')}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
  const label = Math.random() < Number(values.wrong) ? classes[(classes.indexOf(p.cls) + 1) % classes.length]! : p.cls;
  await fetch(`${url}/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ request_id: body.request_id, label }) });
  done++;
  if (i % 50 === 49) {
    const r = (await (await fetch(`${url}/rollout`)).json()) as { rollout: { phase: string; currentStep: number } | null };
    process.stdout.write(`${done} answered, ${failed} failed; rollout ${r.rollout?.phase ?? 'none'} at step ${(r.rollout?.currentStep ?? 0) + 1}\n`);
    if (r.rollout && r.rollout.phase !== 'progressing') break;
  }
}
process.stdout.write(`\n${done} requests answered, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s; answered by:\n`);
for (const [k, n] of [...counts].sort()) process.stdout.write(`  ${k}: ${n} (${((100 * n) / done).toFixed(1)}%)\n`);
