/**
 * Preprocessing speed: decode + resize + centre crop + normalise, per image, on a Food-101-layout data set.
 * Not a test: numbers go to BENCHMARKS.md.
 *
 *   node --import tsx scripts/bench-preprocess.ts [--data DIR] [--kernel linear,lanczos3] [--inflight 1,4] [--sharp 1] [--limit N]
 *
 * Prints, per configuration, wall ms per image, CPU ms per image, and the decode-only share (decodeForViews).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { DEFAULT_PREPROCESS, RESIZE_KERNELS, decodeForViews, normalisationTables, toTensor, type ResizeKernel } from '../ml/preprocess/index.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.FOOD101_DIR ?? '../shared/data/food101-mini' },
    kernel: { type: 'string', default: 'linear' },
    inflight: { type: 'string', default: '1,4' },
    sharp: { type: 'string', default: '1' },
    limit: { type: 'string' },
    repeat: { type: 'string', default: '3' },
  },
});
const root = path.join(path.resolve(args.data), 'images');
let files = fs
  .readdirSync(root)
  .sort()
  .flatMap((c) => fs.readdirSync(path.join(root, c)).sort().map((f) => path.join(root, c, f)));
if (args.limit) files = files.slice(0, Number(args.limit));
const bufs = files.map((f) => fs.readFileSync(f));
console.log(`${bufs.length} images from ${root} (bytes in memory), sharp cache off, node ${process.version}`);

sharp.cache(false);
for (const kernel of args.kernel.split(',') as ResizeKernel[]) {
  if (!RESIZE_KERNELS.includes(kernel)) throw new Error(`unknown kernel ${kernel}`);
  const spec = { ...DEFAULT_PREPROCESS, kernel };
  const tables = normalisationTables(spec);
  for (const conc of args.sharp.split(',').map(Number)) {
    sharp.concurrency(conc);
    for (const inflight of args.inflight.split(',').map(Number)) {
      for (let r = 0; r < Number(args.repeat); r++) {
        let decodeMs = 0;
        let i = 0;
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: inflight }, async () => {
            const out = new Float32Array(3 * spec.crop * spec.crop);
            while (i < bufs.length) {
              const b = bufs[i++]!;
              const d0 = performance.now();
              const raw = await decodeForViews(b, spec);
              decodeMs += performance.now() - d0;
              toTensor(raw, spec, undefined, out, 0, tables);
            }
          }),
        );
        const wall = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        console.log(
          `kernel ${kernel.padEnd(8)} sharp ${conc} in flight ${String(inflight).padStart(2)}: ` +
            `${(wall / bufs.length).toFixed(2)} ms/image wall (${((bufs.length / wall) * 1000).toFixed(0)} images/s), ` +
            `${((cpu.user + cpu.system) / 1000 / bufs.length).toFixed(2)} ms/image CPU, decode latency ${(decodeMs / bufs.length).toFixed(2)} ms`,
        );
      }
    }
  }
}
