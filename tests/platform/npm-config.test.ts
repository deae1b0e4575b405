/**
 * onnxruntime-node's install script only downloads its CUDA provider (the CPU runtime ships inside the package),
 * and CI reaches only the npm registry: it must not run on `npm ci`. It is denied through package.json's
 * `allowScripts` (an npm setting, so no npm command warns about an unknown project config, as
 * `onnxruntime-node-install=skip` in .npmrc did on every command).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.ts';

test("npm runs no onnxruntime-node install script, and warns about no unknown config", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  assert.equal(pkg.allowScripts['onnxruntime-node'], false);
  const r = spawnSync('npm', ['config', 'get', 'fund'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Unknown (project|user|env) config/);
  // The denial reaches npm's install-script policy: onnxruntime-node is not among the packages awaiting review.
  const pending = spawnSync('npm', ['approve-scripts', '--allow-scripts-pending'], { cwd: repoRoot, encoding: 'utf8' });
  if (pending.status === 0) assert.doesNotMatch(pending.stdout, /onnxruntime-node/);
});
