/** Loading features users expect: ${ENV} interpolation, --set overrides with types, anchors and aliases, defaults. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadPipeline } from '../../../runner/config/load.ts';
import { parseOverride } from '../../../runner/config/overrides.ts';
import { ConfigError, UsageError } from '../../../runner/errors.ts';
import { registry } from '../../../steps/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

function write(t: Parameters<typeof tempDir>[0], text: string): string {
  const file = path.join(tempDir(t, 'f101-load-'), 'p.yaml');
  fs.writeFileSync(file, text);
  return file;
}

test('${VAR} and ${VAR:-default} interpolate; a whole-value expression keeps its YAML type; $${ is a literal', async (t) => {
  const file = write(
    t,
    'name: interp\ndata:\n  root: ${ROOT_DIR}/photos\n  name: ${DS_NAME:-mini}\n  subset: { fraction: "${FRACTION:-0.5}" }\nstages:\n  split: { step: split, with: { folds: "${FOLDS:-4}" } }\ndescription: "cost: $${NOT_A_VAR}"\n',
  );
  const config = await loadPipeline(file, registry, { env: { ROOT_DIR: '/data', FOLDS: '5' } });
  const data = config.sections.data as { root: string; name: string; subset: { fraction: number } };
  assert.equal(data.root, '/data/photos');
  assert.equal(data.name, 'mini');
  assert.equal(data.subset.fraction, 0.5);
  assert.equal(config.stages[0].params.folds, 5);
  assert.equal(config.description, 'cost: ${NOT_A_VAR}');
});

test('anchors, aliases and merge keys work, and defaults are filled in', async (t) => {
  const file = write(
    t,
    'name: anchors\nshared: &split_params { folds: 4, seed: 9 }\ndata: { root: x }\nstages:\n  split: { step: split, with: *split_params }\n',
  );
  // `shared` is not a known key: anchors live under known keys in real files; this checks the error names it.
  await assert.rejects(loadPipeline(file, registry, { env: {} }), (e: unknown) => e instanceof ConfigError && /unknown key 'shared'/.test(e.message));
  const ok = write(t, 'name: anchors\ndata: { root: x, subset: &sub { fraction: 0.5, seed: 3 } }\nstages:\n  split: { step: split, with: { <<: { folds: 4 }, seed: 9 } }\n');
  const config = await loadPipeline(ok, registry, { env: {} });
  assert.deepEqual(config.stages[0].params, { folds: 4, seed: 9 });
  const data = config.sections.data as { layout: string; subset: { classes: unknown } };
  assert.equal(data.layout, 'auto');
  assert.equal(data.subset.classes, 'all');
  assert.deepEqual(config.resources, { cpu: 2, gpu: 1 });
  assert.ok(Object.isFrozen(config.stages[0].params));
});

test('--set overrides keep YAML types, create keys, and problems they cause are reported against --set', async (t) => {
  const file = write(t, 'name: sets\ndata: { root: x }\nstages:\n  split: { step: split }\n');
  const config = await loadPipeline(file, registry, {
    env: {},
    overrides: [parseOverride('stages.split.with.folds=6'), parseOverride('data.subset.classes=[a, b]')],
  });
  assert.equal(config.stages[0].params.folds, 6);
  assert.deepEqual((config.sections.data as { subset: { classes: string[] } }).subset.classes, ['a', 'b']);
  await assert.rejects(
    loadPipeline(file, registry, { env: {}, overrides: [parseOverride('stages.split.with.folds=many')] }),
    (e: unknown) => e instanceof ConfigError && e.message === "--set stages.split.with.folds=many stages.split.with.folds: expected integer, got string 'many'",
  );
  assert.throws(() => parseOverride('stages.split'), UsageError);
});
