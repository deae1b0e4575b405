/**
 * platform/ci/food101-mini.sh, which gives GitHub-hosted runners the data the tests use: the committed manifest is
 * the mini set (names and sha256), and `fetch` cuts a Food-101-layout set out of an archive shaped like the public
 * one, served from this machine, while `backbone` refuses a file whose sha256 is wrong.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { miniDataDir, repoRoot } from '../helpers/paths.ts';
import { tempDir } from '../helpers/tmp.ts';

const script = path.join(repoRoot, 'platform', 'ci', 'food101-mini.sh');
const manifestFile = path.join(repoRoot, 'platform', 'ci', 'food101-mini.manifest');
const entries = fs
  .readFileSync(manifestFile, 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => {
    const [split, id, sha256] = l.split(' ');
    return { split, id, sha256 };
  });
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Serves files of `dir` on 127.0.0.1 (the archive and model downloads, without the internet). */
async function serveDir(t: { after(fn: () => unknown): void }, dir: string): Promise<string> {
  const server = http.createServer((req, res) => {
    const file = path.join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    if (!file.startsWith(dir) || !fs.existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200);
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

test('the manifest lists exactly the mini set: its train/test lists and every photo sha256', () => {
  assert.equal(entries.length, 1010);
  for (const split of ['train', 'test']) {
    const listed = fs.readFileSync(path.join(miniDataDir, 'meta', `${split}.txt`), 'utf8').split('\n').filter(Boolean);
    assert.deepEqual(entries.filter((e) => e.split === split).map((e) => e.id), listed, `${split}.txt`);
  }
  for (const e of entries) assert.equal(sha(path.join(miniDataDir, 'images', `${e.id}.jpg`)), e.sha256, e.id);
});

test('fetch: cuts the listed photos and writes the meta files from an archive shaped like Food-101', { timeout: 120_000 }, async (t) => {
  const tmp = tempDir(t, 'f101-mini-');
  // Two photos of each of two classes, plus a class and a photo the manifest does not list.
  const chosen = ['pizza', 'sushi'].flatMap((c) => entries.filter((e) => e.id.startsWith(`${c}/`)).slice(0, 2));
  const manifest = path.join(tmp, 'small.manifest');
  fs.writeFileSync(manifest, `# test\n${chosen.map((e) => `${e.split} ${e.id} ${e.sha256}`).join('\n')}\n`);
  const src = path.join(tmp, 'src', 'food-101');
  for (const e of chosen) {
    fs.mkdirSync(path.join(src, 'images', path.dirname(e.id)), { recursive: true });
    fs.copyFileSync(path.join(miniDataDir, 'images', `${e.id}.jpg`), path.join(src, 'images', `${e.id}.jpg`));
  }
  fs.mkdirSync(path.join(src, 'images', 'ramen'), { recursive: true });
  fs.copyFileSync(path.join(miniDataDir, 'images', `${chosen[0].id}.jpg`), path.join(src, 'images', 'ramen', '1.jpg'));
  fs.mkdirSync(path.join(src, 'meta'));
  fs.writeFileSync(path.join(src, 'meta', 'classes.txt'), 'pizza\nramen\nsushi\n');
  fs.writeFileSync(path.join(src, 'meta', 'labels.txt'), 'Pizza\nRamen\nSushi\n');
  const served = path.join(tmp, 'www');
  fs.mkdirSync(served);
  const tar = spawnSync('tar', ['-czf', path.join(served, 'food-101.tar.gz'), '-C', path.join(tmp, 'src'), 'food-101']);
  assert.equal(tar.status, 0, String(tar.stderr));
  const base = await serveDir(t, served);

  const dest = path.join(tmp, 'out', 'food101-mini');
  const r = await run(['fetch', dest], { FOOD101_URL: `${base}/food-101.tar.gz`, FOOD101_MINI_MANIFEST: manifest });
  assert.equal(r.code, 0, r.out);
  assert.equal(fs.readFileSync(path.join(dest, 'meta', 'classes.txt'), 'utf8'), 'pizza\nsushi\n');
  assert.equal(fs.readFileSync(path.join(dest, 'meta', 'labels.txt'), 'utf8'), 'Pizza\nSushi\n');
  for (const split of ['train', 'test']) {
    const ids = chosen.filter((e) => e.split === split).map((e) => e.id);
    assert.equal(fs.readFileSync(path.join(dest, 'meta', `${split}.txt`), 'utf8'), ids.map((i) => `${i}\n`).join(''));
    const json = JSON.parse(fs.readFileSync(path.join(dest, 'meta', `${split}.json`), 'utf8'));
    assert.deepEqual(Object.values(json).flat(), ids);
  }
  for (const e of chosen) assert.equal(sha(path.join(dest, 'images', `${e.id}.jpg`)), e.sha256);
  assert.ok(!fs.existsSync(path.join(dest, 'images', 'ramen')), 'unlisted classes stay out');

  // A photo that differs from the manifest stops the fetch (unless FOOD101_MINI_VERIFY=0).
  const bad = path.join(tmp, 'bad.manifest');
  fs.writeFileSync(bad, `train ${chosen[0].id} ${'0'.repeat(64)}\n`);
  const refused = await run(['fetch', path.join(tmp, 'out', 'bad')], { FOOD101_URL: `${base}/food-101.tar.gz`, FOOD101_MINI_MANIFEST: bad });
  assert.notEqual(refused.code, 0);
  assert.match(refused.out, /differ from the manifest/);
  assert.ok(!fs.existsSync(path.join(tmp, 'out', 'bad')));
});

test('backbone: downloads and checks the sha256, and refuses a wrong file', { timeout: 60_000 }, async (t) => {
  const tmp = tempDir(t, 'f101-bb-');
  const www = path.join(tmp, 'www');
  fs.mkdirSync(www);
  fs.writeFileSync(path.join(www, 'wrong.onnx'), 'not the backbone');
  const base = await serveDir(t, www);
  const models = path.join(tmp, 'models');
  const r = await run(['backbone', models], { BACKBONE_URL: `${base}/wrong.onnx`, IMAGENET_CLASSES_URL: `${base}/missing.txt` });
  assert.notEqual(r.code, 0);
  assert.match(r.out, /sha256 is not cc028fe6/);
  assert.ok(!fs.existsSync(path.join(models, 'mobilenetv2-12-int8.onnx')), 'nothing unverified is left where the pipeline looks');
});
