/** `pipeline k8s render` options: image references, the serving image that goes with --image, defaults. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkImageRef, resolveOptions } from '../../platform/k8s/options.ts';

const defaults = { name: 'food101', version: '0.1.0' };

test('defaults: the package version as the tag, the pipeline name as the namespace, 3 shards, no GPU', () => {
  assert.deepEqual(resolveOptions({}, defaults), { namespace: 'food101', trainImage: 'food101-train:0.1.0', serveImage: 'food101-serve:0.1.0', gpuImage: undefined, shards: 3 });
});

test('--image names the serving image too, registry port and digest included', () => {
  assert.equal(resolveOptions({ image: 'registry.local:5000/team/food101-train:abc' }, defaults).serveImage, 'registry.local:5000/team/food101-serve:abc');
  const digest = `ghcr.io/a/food101-train@sha256:${'a'.repeat(64)}`;
  assert.equal(resolveOptions({ image: digest }, defaults).serveImage, `ghcr.io/a/food101-serve@sha256:${'a'.repeat(64)}`);
  assert.equal(resolveOptions({ image: 'x/mine:1', serveImage: 'x/web:2' }, defaults).serveImage, 'x/web:2');
});

test('refused: no tag, latest, a port taken for a tag, a short digest', () => {
  assert.throws(() => checkImageRef('--image', 'registry.local:5000/food101-train'), /give a tag or digest/);
  assert.throws(() => checkImageRef('--image', 'food101-train:latest'), /latest/);
  assert.throws(() => checkImageRef('--gpu-image', 'a/b@sha256:abc'), /--gpu-image .*64 hex/);
  assert.throws(() => resolveOptions({ serveImage: 'food101-serve:latest' }, defaults), /--serve-image/);
  assert.throws(() => resolveOptions({ shards: '2.5' }, defaults), /--shards 2.5/);
});

test('shards: --shards wins over the pipeline file\'s, which wins over 3', () => {
  assert.equal(resolveOptions({}, { ...defaults, shards: 6 }).shards, 6);
  assert.equal(resolveOptions({ shards: '2' }, { ...defaults, shards: 6 }).shards, 2);
  assert.throws(() => resolveOptions({ shards: '0' }, { ...defaults, shards: 6 }), /--shards 0/);
});
