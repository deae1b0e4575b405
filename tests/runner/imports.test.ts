/**
 * The engine knows no product: nothing under runner/ imports from steps/, ml/, stores/, server/ or app/ (the
 * composition root hands it its services). lib/ imports nothing of the project but lib/ itself.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.ts';

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|mjs|js)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Relative specifiers of static imports, re-exports, dynamic imports and `declare module`. */
function specifiers(source: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bdeclare\s+module\s+)['"](\.[^'"]+)['"]/g;
  for (let m; (m = re.exec(source)); ) out.push(m[1]);
  return out;
}

function violations(folder: string, allowed: (topLevel: string) => boolean): string[] {
  const root = path.join(repoRoot, folder);
  const bad: string[] = [];
  for (const file of tsFiles(root)) {
    for (const spec of specifiers(fs.readFileSync(file, 'utf8'))) {
      const target = path.relative(repoRoot, path.resolve(path.dirname(file), spec));
      const top = target.split(path.sep)[0];
      if (!allowed(top)) bad.push(`${path.relative(repoRoot, file)} imports ${spec} (${target})`);
    }
  }
  return bad;
}

test('runner/ imports only runner/ and lib/', () => {
  assert.deepEqual(violations('runner', (top) => top === 'runner' || top === 'lib'), []);
});

test('lib/ imports only lib/', () => {
  assert.deepEqual(violations('lib', (top) => top === 'lib'), []);
});

test('the checker sees a forbidden import', () => {
  assert.deepEqual(specifiers("import { x } from '../stores/index.ts';\nexport * from './a.ts';\nawait import('../steps/index.ts');"), ['../stores/index.ts', './a.ts', '../steps/index.ts']);
});
