/**
 * Serving cost of a `finetune` export against a `head` export on the same backbone: onnxruntime inference per
 * image (batch 1, one intra-op thread, wall and CPU ms), both graphs with the test-time flip, measured in
 * alternating rounds in one process so machine load hits both alike. Weights are random: cost does not depend on
 * them. Not a test: the numbers go to BENCHMARKS.md.
 *
 *   node --import tsx scripts/bench-finetune.ts [--rounds 5] [--images 20]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../ml/backends/select-backend.ts';
import { finetune } from '../ml/families/finetune.ts';
import { head } from '../ml/families/head.ts';
import { trainableTail } from '../ml/onnx/dequantize-tail.ts';
import { decodeModel } from '../ml/onnx/proto.ts';
import { createSession, runLogits } from '../ml/onnx/session.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, images: { type: 'string', default: '20' } } });
const root = path.resolve(import.meta.dirname, '..');
const bytes = fs.readFileSync(process.env.BACKBONE_ONNX ?? path.join(root, '../shared/models/mobilenetv2-12-int8.onnx'));
const featureNode = { tensor: '472_quantized', scale: '464_scale', zeroPoint: '464_zero_point' };
const env = { backbone: { bytes, input: 'input', featureNode }, metadata: {}, testTimeFlip: true };
const { tf } = await selectBackend('cpu', { convTraining: false });

const graphs: Record<string, Uint8Array> = {
  'head (linear)': head.toOnnx(head.build(tf, { family: 'head', layers: [] }, { inputDim: 1280, numClasses: 13, seed: 1 }), env),
};
for (const from of ['624_quantized', '621_quantized']) {
  const tail = trainableTail(decodeModel(bytes), from);
  const spec = { family: 'finetune' as const, from, layers: [] };
  const model = finetune.build(tf, spec, { inputDim: 49 * tail.from.channels, numClasses: 13, seed: 1, backboneTail: tail });
  graphs[`finetune from ${from}`] = finetune.toOnnx(model, env, spec);
}

const n = Number(values.images);
const image = Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i) * 2);
const sessions = await Promise.all(Object.entries(graphs).map(async ([name, g]) => ({ name, session: await createSession(g, { intraOpNumThreads: 1 }), wall: [] as number[], cpu: [] as number[] })));
for (const s of sessions) await runLogits(s.session, 'images', image, 1, [3, 224, 224]); // warm-up
for (let r = 0; r < Number(values.rounds); r++) {
  for (const s of sessions) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await runLogits(s.session, 'images', image, 1, [3, 224, 224]);
    s.wall.push((performance.now() - t0) / n);
    const c = process.cpuUsage(c0);
    s.cpu.push((c.user + c.system) / 1000 / n);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${os.cpus().length} cores (${os.cpus()[0]?.model}); ${values.rounds} rounds x ${n} images, batch 1, flip TTA`);
const base = median(sessions[0]!.cpu);
for (const s of sessions) console.log(`${s.name}: ${median(s.wall).toFixed(2)} ms wall, ${median(s.cpu).toFixed(2)} ms CPU per image (x${(median(s.cpu) / base).toFixed(2)} CPU of the head), ${(graphs[s.name]!.length / 1e6).toFixed(1)} MB`);
for (const s of sessions) await s.session.release();
