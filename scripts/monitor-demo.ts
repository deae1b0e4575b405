/**
 * Monitoring on the default champion, against a running `pipeline serve` (not a test; its output goes to the
 * README's "Monitoring and retraining" and BENCHMARKS.md). Sends windows of `--window` test photos of the model's
 * split as they are, darkened (x0.4) and inverted, with the default hysteresis (fire after 2 drifted windows,
 * clear after 3 clean ones), running `pipeline monitor --json` after each window; prints one line per window.
 *
 *   npx pipeline serve pipelines/food101.yaml --port 18320 &
 *   node --import tsx scripts/monitor-demo.ts --url http://127.0.0.1:18320 --split data/processed/<version> [--window 200]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { mulberry32, shuffled } from '../ml/random.ts';
import { parseCsv } from '../steps/split/manifest.ts';

const { values: args } = parseArgs({ options: { url: { type: 'string' }, split: { type: 'string' }, root: { type: 'string' }, window: { type: 'string', default: '200' }, pipeline: { type: 'string', default: 'pipelines/food101.yaml' } } });
if (!args.url || !args.split) throw new Error('usage: --url http://127.0.0.1:18320 --split data/processed/<version> [--window 200]');
const root = path.resolve(args.root ?? process.env.FOOD101_DIR ?? '../shared/data/food101-mini');
const n = Number(args.window);
// A seeded sample: the manifest is sorted by class, and its first n photos would change the class mix.
const files = shuffled(parseCsv(fs.readFileSync(path.join(args.split, 'test.csv'), 'utf8')).map((e) => path.join(root, e.path)), mulberry32(7)).slice(0, n);
const ordinary = files.map((f) => fs.readFileSync(f));
const dark = await Promise.all(ordinary.map((b) => sharp(b).modulate({ brightness: 0.4 }).jpeg({ quality: 90 }).toBuffer()));
const negative = await Promise.all(ordinary.map((b) => sharp(b).negate({ alpha: false }).jpeg({ quality: 90 }).toBuffer()));

async function send(photos: readonly Buffer[]): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < photos.length) {
      const form = new FormData();
      form.append('file', new Blob([photos[next++]!], { type: 'image/jpeg' }), 'photo.jpg');
      const res = await fetch(`${args.url}/predict`, { method: 'POST', body: form });
      if (res.status !== 200) throw new Error(`/predict: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  }));
  await new Promise((r) => setTimeout(r, 1500)); // the batched log writer flushes within 500 ms
}

interface Out { detectors: Record<string, { score: number | null; verdict: string }>; causes: string[]; alerts: { event: string; detector: string; message: string }[] }
const plan: [string, readonly Buffer[]][] = [['ordinary', ordinary], ['ordinary', ordinary], ['ordinary', ordinary], ['dark', dark], ['dark', dark], ['ordinary', ordinary], ['ordinary', ordinary], ['ordinary', ordinary], ['negative', negative], ['negative', negative], ['ordinary', ordinary]];
for (const [name, photos] of plan) {
  await send(photos);
  const out = JSON.parse(execFileSync(process.execPath, ['bin/pipeline.js', 'monitor', '--json', '--pipeline', args.pipeline!], { encoding: 'utf8' })) as Out;
  const drifted = Object.entries(out.detectors).filter(([, d]) => d.verdict === 'drift').map(([k, d]) => `${k} (${d.score?.toPrecision(3)})`);
  console.log(`| ${name} | ${drifted.join(', ') || 'none'} | ${out.causes.join('; ') || '-'} | ${out.alerts.map((a) => `${a.event} ${a.detector}`).join(', ') || '-'} |`);
}
