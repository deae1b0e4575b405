/**
 * Invalid pipeline files next to the exact error text they must produce (<name>.yaml -> <name>.expected.txt).
 * Every problem in a file is reported in one pass, in file order, as `<file>:<line>:<col> <key path>: <message>`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadPipeline } from '../../../runner/config/load.ts';
import { ConfigError } from '../../../runner/errors.ts';
import { registry } from '../../../steps/index.ts';

const dir = path.join(import.meta.dirname, 'fixtures');
const fixtures = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'));

test('there are invalid-config fixtures, each with its expected text', () => {
  assert.ok(fixtures.length >= 7);
  for (const f of fixtures) assert.ok(fs.existsSync(path.join(dir, f.replace(/\.yaml$/, '.expected.txt'))), `${f} has no .expected.txt`);
});

for (const f of fixtures) {
  test(`fixture ${f}`, async () => {
    const file = path.join(dir, f);
    const shown = path.relative(process.cwd(), file);
    const expected = fs.readFileSync(file.replace(/\.yaml$/, '.expected.txt'), 'utf8').trimEnd().replaceAll('<file>', shown);
    const err = await loadPipeline(file, registry, { env: {} }).then(
      () => assert.fail(`${f} should be invalid`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.message, expected);
  });
}
