/** The pods' pipeline file keeps `${...}` references (a secret set where `render` runs never lands in it). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadPipeline } from '../../runner/config/load.ts';
import { parseOverride } from '../../runner/config/overrides.ts';
import { podPipelineFile } from '../../platform/k8s/pipeline-file.ts';
import { registry } from '../../steps/index.ts';
import { repoRoot } from '../helpers/paths.ts';

test('references stay references, --set values stay literal, workdir is the pods\'', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-file-'));
  try {
    const source = fs.readFileSync(path.join(repoRoot, 'pipelines', 'food101.yaml'), 'utf8')
      .replace(/^name: food101$/m, 'name: food101\ndescription: "store ${MLOPS_STORE_URL:-none}"')
      .replace(/^workdir: \.\.$/m, `workdir: ${repoRoot}`);
    const file = path.join(dir, 'p.yaml');
    fs.writeFileSync(file, source);
    const env = { ...process.env, MLOPS_STORE_URL: 'postgres://u:pw-123@h/db' };
    const overrides = [parseOverride('stages.split.with.folds=4')];
    const config = await loadPipeline(file, registry, { env, overrides });
    assert.equal(config.description, 'store postgres://u:pw-123@h/db', 'the loader did resolve it');
    const text = podPipelineFile(config, { overriddenPaths: ['stages.split.with.folds'], workdir: '/work' });
    assert.ok(!text.includes('pw-123'));
    const doc = parse(text);
    assert.equal(doc.description, 'store ${MLOPS_STORE_URL:-none}');
    assert.equal(doc.stages.split.with.folds, 4);
    assert.equal(doc.stages.serve.with.port, '${PORT:-8000}');
    assert.equal(doc.workdir, '/work');
    const overridden = podPipelineFile(config, { overriddenPaths: ['description'], workdir: '/work' });
    assert.ok(overridden.includes('pw-123'), 'a --set value is the user\'s literal choice');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
