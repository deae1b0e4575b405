/** The renderer stays on the runner's side of the line: platform/k8s imports nothing from steps/, ml/, stores/ or server/. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.ts';

test('platform/k8s and the k8s command import only node:, yaml, runner/ and platform/k8s modules', () => {
  const dir = path.join(repoRoot, 'platform', 'k8s');
  const files = [...fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f)), path.join(repoRoot, 'app', 'cli', 'commands', 'k8s.ts')];
  assert.ok(files.length >= 10);
  for (const file of files) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/^import .* from '([^']+)';$/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('node:') || spec === 'yaml' || spec === 'commander') continue;
      const target = path.relative(repoRoot, path.resolve(path.dirname(file), spec));
      assert.match(target, /^(runner|platform\/k8s)\//, `${path.relative(repoRoot, file)} imports ${spec}`);
    }
  }
});
