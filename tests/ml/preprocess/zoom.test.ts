import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { DataType, encodeModel, floatTensor, int64Tensor, node, onnx, valueInfo } from '../../../ml/onnx/proto.ts';
import { createSession } from '../../../ml/onnx/session.ts';
import { assertZoom, viewNames, viewsOfBatch, zoomOf, zoomScale, zoomTensor } from '../../../ml/preprocess/index.ts';

/** Slice the centre z x z + Resize (linear, half_pixel): what the exported graph does, on its own. */
async function ortZoom(x: Float32Array, size: number, z: number): Promise<Float32Array> {
  const o = (size - z) / 2;
  const s = zoomScale(size, z);
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 12 }],
    graph: {
      name: 'zoom',
      input: [valueInfo('x', DataType.FLOAT, ['N', 3, size, size])],
      initializer: [int64Tensor('st', [o, o]), int64Tensor('en', [o + z, o + z]), int64Tensor('ax', [2, 3]), floatTensor('roi', [0], new Float32Array(0)), floatTensor('sc', [4], Float32Array.of(1, 1, s, s))],
      node: [node('Slice', ['x', 'st', 'en', 'ax'], ['c'], 'S'), node('Resize', ['c', 'roi', 'sc'], ['y'], 'R', { mode: 'linear', coordinate_transformation_mode: 'half_pixel' })],
      output: [valueInfo('y', DataType.FLOAT, ['N', 3, size, size])],
    },
  });
  const session = await createSession(encodeModel(model));
  const out = (await session.run({ x: new ort.Tensor('float32', x, [1, 3, size, size]) })).y!;
  await session.release();
  assert.deepEqual(out.dims, [1, 3, size, size]);
  return out.data as Float32Array;
}

describe('zoom views', () => {
  it("equal onnxruntime's Slice + Resize bit for bit (the int8 backbone amplifies last-bit differences)", async () => {
    for (const [size, z] of [[224, 192], [224, 168], [64, 40]] as const) {
      const x = Float32Array.from({ length: 3 * size * size }, (_, i) => Math.sin(i * 0.37) * 2 + (i % size) / size);
      assert.deepEqual(zoomTensor(x, size, z), await ortZoom(x, size, z), `size ${size}, zoom ${z}`);
    }
  });

  it('keep a constant image constant and magnify the centre', () => {
    const size = 32;
    assert.ok(zoomTensor(new Float32Array(3 * size * size).fill(0.25), size, 16).every((v) => v === 0.25));
    // A horizontal ramp 0..31: zoom 16 keeps the centre 8..23, spread over 32 pixels (slope 0.5).
    const ramp = Float32Array.from({ length: 3 * size * size }, (_, i) => i % size);
    const row = zoomTensor(ramp, size, 16).subarray(size * 10, size * 11);
    assert.ok(Math.abs(row[10]! - (8 + (10 + 0.5) / 2 - 0.5)) < 1e-5, `${row[10]}`);
    assert.ok(row[0]! >= 8 && row[size - 1]! <= 23);
  });

  it('size their Resize scale so the output is exactly the crop', () => {
    for (const z of [192, 196, 168, 112]) assert.ok(Math.floor(zoomScale(224, z) * z) === 224 && Math.fround(zoomScale(224, z)) === zoomScale(224, z), `zoom ${z}`);
  });

  it('are named zoom<z> (+ _flip with the mirror) and refuse sizes that are not centred', () => {
    assert.deepEqual(viewNames({ flip: true, crops: 0, zoom: [192] }), ['center', 'flip', 'zoom192', 'zoom192_flip']);
    assert.equal(zoomOf('zoom192_flip'), 192);
    assert.equal(zoomOf('crop1'), undefined);
    assert.throws(() => assertZoom(193, 224), /tta.zoom 193: .*224 - z even/);
    assert.throws(() => assertZoom(224, 224), /below 224/);
    const x = Float32Array.from({ length: 2 * 3 * 8 * 8 }, (_, i) => i);
    const flipped = viewsOfBatch(x, 2, 8, 'flip');
    assert.equal(flipped[0], x[7]);
    assert.throws(() => viewsOfBatch(x, 2, 8, 'crop1'), /not a test-time view/);
  });
});
