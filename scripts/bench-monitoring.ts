/**
 * Cost of the per-image monitoring statistics (ml/monitoring/image-stats.ts) on decoded photos, excluding the
 * decode the service does anyway. Not a test: numbers go to ml/monitoring/README.md and BENCHMARKS.md.
 *
 *   node --import tsx scripts/bench-monitoring.ts [--data DIR] [--images 20] [--repeat 200]
 *
 * Prints microseconds per image for a 224x224 image (the crop size) and for the 256-px-short-side decode.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { computeImageStats } from '../ml/monitoring/image-stats.ts';
import { DEFAULT_PREPROCESS, decodeForViews, type RawImage } from '../ml/preprocess/index.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.FOOD101_DIR ?? '../shared/data/food101-mini' },
    images: { type: 'string', default: '20' },
    repeat: { type: 'string', default: '200' },
  },
});
const dir = path.join(path.resolve(args.data), 'images', 'pizza');
const files = fs.readdirSync(dir).sort().slice(0, Number(args.images));
const decoded: RawImage[] = [];
for (const f of files) decoded.push(await decodeForViews(path.join(dir, f), DEFAULT_PREPROCESS));

/** The centre 224x224 of a decode, as its own image. */
function crop224(raw: RawImage): RawImage {
  const s = 224;
  const left = (raw.width - s) >> 1, top = (raw.height - s) >> 1;
  const data = new Uint8Array(s * s * 3);
  for (let y = 0; y < s; y++) data.set(raw.data.subarray(((top + y) * raw.width + left) * 3, ((top + y) * raw.width + left + s) * 3), y * s * 3);
  return { width: s, height: s, data };
}

const source = { format: 'jpeg', byteSize: 0, width: 0, height: 0 };
const repeat = Number(args.repeat);
for (const [label, set] of [['224x224', decoded.map(crop224)], ['decode (256 short side)', decoded]] as const) {
  for (let i = 0; i < 50; i++) computeImageStats(set[i % set.length]!, source); // warm-up (JIT)
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < repeat; r++) for (const raw of set) computeImageStats(raw, source);
  const wallUs = Number(process.hrtime.bigint() - t0) / 1e3 / (repeat * set.length);
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / (repeat * set.length);
  console.log(`${label}: ${wallUs.toFixed(0)} us/image wall, ${cpuUs.toFixed(0)} us/image CPU (${repeat * set.length} images, ${set[0]!.width}x${set[0]!.height})`);
}
console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
