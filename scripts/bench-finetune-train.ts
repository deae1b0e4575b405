/**
 * Training throughput of the finetune family on synthetic tapped tensors (the shapes of the real ones: 49
 * positions x 320 channels from 624_quantized, or x 960 from 621_quantized; 13 classes), with the backbone's own
 * dequantized tail, on the wasm backend. Prints samples/s and the implied seconds per epoch of a mini-set fold
 * (2,020 training views) and of the refit (3,028). Not a test: the numbers go to BENCHMARKS.md.
 *
 *   node --import tsx scripts/bench-finetune-train.ts [samples=256] [batch=64]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trainableTail } from '../ml/onnx/dequantize-tail.ts';
import { decodeModel } from '../ml/onnx/proto.ts';
import { mulberry32 } from '../ml/random.ts';
import { trainRun } from '../ml/training/train-run.ts';

const n = Number(process.argv[2] ?? 256);
const batch = Number(process.argv[3] ?? 64);
const root = path.resolve(import.meta.dirname, '..');
const bytes = fs.readFileSync(process.env.BACKBONE_ONNX ?? path.join(root, '../shared/models/mobilenetv2-12-int8.onnx'));
const rand = mulberry32(1);
for (const from of ['624_quantized', '621_quantized']) {
  const tail = trainableTail(decodeModel(bytes), from);
  const dim = 49 * tail.from.channels;
  const x = Float32Array.from({ length: n * dim }, () => rand() * 2);
  const y = Int32Array.from({ length: n }, (_, i) => i % 13);
  const r = await trainRun(
    { family: 'finetune', spec: { family: 'finetune', from, layers: [] }, hyper: { lr: 1e-3, epochs: 2, batch_size: batch }, backend: 'wasm', numClasses: 13, train: { x, y, n }, inputDim: dim, backboneTail: tail },
    () => {},
  );
  // The first epoch pays for kernel set-up: the second is the steady rate.
  const rate = n / r.epochs[1]!.seconds;
  console.log(`finetune from ${from}: ${rate.toFixed(0)} samples/s (batch ${batch}, ${r.backend.name}); fold epoch (2,020 views) ${(2020 / rate).toFixed(0)} s, refit epoch (3,028) ${(3028 / rate).toFixed(0)} s; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}
