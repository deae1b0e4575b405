/**
 * Crash debris is swept at the start of a run in every folder atomic writes use, at any depth: outputs/metrics,
 * plots, logs, the stage states, data/processed, experiments/artifacts and the registry's `.register.tmp-*`
 * copies. A live process's temporaries stay.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures');

test('a run removes dead processes\' temporaries everywhere it writes, and keeps a live one\'s', (t) => {
  const dir = tempDir(t, 'f101-debris-');
  fs.copyFileSync(path.join(fixtures, 'echo-step.ts'), path.join(dir, 'echo-step.ts'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  fs.writeFileSync(path.join(dir, 'pipeline.yaml'), 'name: debris\ndata: { root: . }\nstages:\n  only: { step: ./echo-step.ts }\n');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const debris = [
    `outputs/metrics/.summary.json.tmp-${dead}-abc123`,
    `outputs/plots/.curves.png.tmp-${dead}-abc123`,
    `outputs/logs/.x.pipeline.yaml.tmp-${dead}-abc123`,
    `outputs/.state/.train.json.tmp-${dead}-abc123`,
    `outputs/.model.tmp-${dead}-abc123/model.onnx`,
    `data/processed/.mini_3c.tmp-${dead}-abc123/train.csv`,
    `experiments/artifacts/exp/run-1/.model.tmp-${dead}-abc123/weights.bin`,
    `experiments/registry/food101/.register.tmp-${dead}-Xy12Ab/model.onnx`,
  ];
  const live = `outputs/metrics/.summary.json.tmp-${process.pid}-live00`;
  for (const f of [...debris, live]) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), 'partial');
  }
  const r = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  for (const f of debris) {
    const top = f.split('/').findIndex((part) => part.includes('.tmp-'));
    const temp = f.split('/').slice(0, top + 1).join('/');
    assert.ok(!fs.existsSync(path.join(dir, temp)), `${temp} should be removed`);
  }
  assert.ok(fs.existsSync(path.join(dir, live)), 'a live process\'s temporary stays');
  assert.ok(fs.existsSync(path.join(dir, 'experiments', 'registry', 'food101')), 'folders that held debris stay');
});
