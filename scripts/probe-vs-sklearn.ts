/**
 * Checks the linear probe's trainer against scikit-learn: the same features (read from the feature store of a
 * pipeline run in this checkout), the same L2 strength, both scored on the same validation fold and test split.
 * Not a test: the numbers go to BENCHMARKS.md.
 *
 *   node --import tsx scripts/probe-vs-sklearn.ts [--fold 1] [--weight-decay 1e-3,1e-2] [--lr 1e-3] [--lr-schedule cosine] [--epochs 30]
 *
 * Run the pipeline to `--until features` first. PYTHON= picks the interpreter (default /usr/bin/python3). The trainer minimises mean CE + wd * ||W||^2 (bias unpenalised);
 * scikit-learn minimises C * sum CE + ||W||^2 / 2 (intercept unpenalised): the same objective when
 * C = 1 / (2 * n * wd), with n the training rows (every stored view of every training photo).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluate } from '../ml/metrics/classification.ts';
import { predictLogits } from '../ml/training/model-io.ts';
import { modelFromArtifacts } from '../ml/training/artifacts.ts';
import { selectBackend } from '../ml/backends/select-backend.ts';
import { trainRun } from '../ml/training/train-run.ts';
import type { Dataset } from '../ml/training/types.ts';
import { StageStates } from '../runner/stage-state.ts';
import { TrainingData } from '../steps/train/datasets.ts';
import type { FeaturesResult } from '../steps/features/features-result.ts';
import type { SplitResult } from '../steps/split/split-result.ts';
import { openStores } from '../stores/index.ts';

const { values } = parseArgs({
  options: {
    fold: { type: 'string', default: '1' },
    'weight-decay': { type: 'string', default: '3e-4,1e-3,3e-3,1e-2' },
    lr: { type: 'string', default: '1e-3' },
    'lr-schedule': { type: 'string', default: 'cosine' },
    epochs: { type: 'string', default: '30' },
    'batch-size': { type: 'string', default: '128' },
    store: { type: 'string', default: 'sqlite:experiments/mlops.db' },
  },
});
const root = path.resolve(import.meta.dirname, '..');
// Debian's python3-sklearn lives under the system interpreter; a pyenv shim first on PATH would not see it.
const PYTHON = process.env.PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const states = new StageStates(path.join(root, 'outputs', '.state'), root);
const split = states.read('split')?.result as SplitResult | undefined;
const features = states.read('features')?.result as FeaturesResult | undefined;
if (!split || !features) throw new Error(`no split/features results under ${path.join(root, 'outputs/.state')}: run \`npx pipeline run pipelines/food101.yaml --until features\` first`);

/** A float32 2-d array (or int32 1-d) as a .npy file (format 1.0). */
function writeNpy(file: string, data: Float32Array | Int32Array, shape: number[]): void {
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(head);
  head[6] = 1; head[7] = 0; head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

const stores = await openStores({ url: values.store!, baseDir: root, registryDir: path.join(root, 'experiments', 'registry'), mustExist: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-sklearn-'));
try {
  const data = new TrainingData(split, features, stores);
  const fold = Number(values.fold);
  const sets: Record<string, Dataset> = {
    train: await data.featureSet(`folds/fold${fold}/train.csv`, true),
    val: await data.featureSet(`folds/fold${fold}/val.csv`, false),
    test: await data.featureSet('test.csv', false),
  };
  const dim = features.dim;
  for (const [name, d] of Object.entries(sets)) {
    writeNpy(path.join(tmp, `${name}_x.npy`), Float32Array.from(d.x.subarray(0, d.n * dim)), [d.n, dim]);
    writeNpy(path.join(tmp, `${name}_y.npy`), Int32Array.from(d.y.subarray(0, d.n)), [d.n]);
  }
  const n = sets.train!.n;
  const classes = [...split.classes];
  const { tf } = await selectBackend('auto', { convTraining: false });
  const rows: string[] = [];
  for (const wd of values['weight-decay']!.split(',').map(Number)) {
    const C = 1 / (2 * n * wd);
    const t0 = performance.now();
    const result = await trainRun({
      family: 'head', spec: { family: 'head', layers: [] }, backend: 'auto', numClasses: classes.length, train: sets.train!, inputDim: dim,
      hyper: { lr: Number(values.lr), epochs: Number(values.epochs), batch_size: Number(values['batch-size']), weight_decay: wd, lr_schedule: values['lr-schedule'] as 'constant' | 'cosine' },
    }, () => {});
    const seconds = (performance.now() - t0) / 1000;
    const model = await modelFromArtifacts(tf, result.artifacts);
    const acc = (d: Dataset) => evaluate({ logits: predictLogits(tf, model, d.x, d.n), y: d.y.subarray(0, d.n), classes }).accuracy;
    const ours = { val: acc(sets.val!), test: acc(sets.test!) };
    model.dispose();
    const py = spawnSync(PYTHON, [path.join(root, 'scripts', 'probe_sklearn.py'), tmp, String(C)], { encoding: 'utf8' });
    if (py.status !== 0) throw new Error(`probe_sklearn.py failed:\n${py.stderr}`);
    const sk = JSON.parse(py.stdout) as { val: number; test: number; seconds: number; iterations: number };
    rows.push(`| ${wd} | ${C.toPrecision(3)} | ${ours.val.toFixed(4)} | ${sk.val.toFixed(4)} | ${ours.test.toFixed(4)} | ${sk.test.toFixed(4)} | ${seconds.toFixed(1)} | ${sk.seconds.toFixed(1)} (${sk.iterations} it) |`);
    console.error(rows.at(-1));
  }
  console.log(`fold ${fold}: ${n} training rows (${features.views.join('+')} views), ${sets.val!.n} validation and ${sets.test!.n} test photos (${features.tta.join('+')} mean), ${dim} features`);
  console.log(`ours: adam lr ${values.lr} (${values['lr-schedule']}), ${values.epochs} epochs, batch ${values['batch-size']}; scikit-learn: LogisticRegression(lbfgs, multinomial, max_iter 5000)`);
  console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('| weight_decay | C = 1/(2 n wd) | ours val acc | sklearn val acc | ours test acc | sklearn test acc | ours (s) | sklearn (s) |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(r);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
  await stores.close();
}
