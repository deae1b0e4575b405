/**
 * The `zoom<z>` test-time views: the centre z x z pixels of the backbone input, resized back to the input size with
 * bilinear interpolation. It is defined on the input tensor (not the photo) because the exported graph computes it
 * from its `images` input (ml/onnx/view-branch.ts, ONNX Resize: linear, half_pixel); this is the same arithmetic in
 * JS, for the feature store and the export's parity check.
 */

/** `zoom192` -> 192, `zoom192_flip` -> 192; undefined for any other view name. */
export function zoomOf(view: string): number | undefined {
  const m = /^zoom([1-9]\d*)(_flip)?$/.exec(view);
  return m ? Number(m[1]) : undefined;
}

/** Throws unless a `zoom` size fits a crop: smaller than it, at least 8, and centred (an even margin). */
export function assertZoom(z: number, crop: number): void {
  if (!Number.isInteger(z) || z < 8 || z >= crop || (crop - z) % 2 !== 0) {
    throw new Error(`tta.zoom ${z}: a zoom is the centre z x z of the ${crop}-pixel crop, so it must be an integer >= 8, below ${crop}, with ${crop} - z even (e.g. ${crop - 2 * Math.round(crop / 16)})`);
  }
}

/**
 * The Resize scale of a zoom, as the float32 the graph stores: size / z rounded up to the next float32 when needed,
 * because runtimes size the output as floor(z x scale) and 192 x fround(224 / 192) is 223.99998.
 */
export function zoomScale(size: number, z: number): number {
  const f = new Float32Array([size / z]);
  if (f[0]! * z < size) new Int32Array(f.buffer)[0]! += 1;
  return f[0]!;
}

/**
 * Per output coordinate: the two source taps and their weights, in float32 as onnxruntime's bilinear Resize computes
 * them (half_pixel: (x + 0.5) / scale - 0.5, clamped; equal taps weigh 0.5 each). Bit-exact matters: the int8
 * backbone quantizes its input, so a last-bit difference can move a feature by 0.1 or more.
 */
function taps(size: number, z: number, offset: number): { i0: Int32Array; i1: Int32Array; w0: Float32Array; w1: Float32Array } {
  const f = Math.fround;
  const scale = zoomScale(size, z);
  const i0 = new Int32Array(size);
  const i1 = new Int32Array(size);
  const w0 = new Float32Array(size);
  const w1 = new Float32Array(size);
  for (let x = 0; x < size; x++) {
    const src = Math.max(0, Math.min(f(f(f(x + 0.5) / scale) - 0.5), z - 1));
    const lo = Math.min(Math.trunc(src), z - 1);
    const hi = Math.min(lo + 1, z - 1);
    i0[x] = offset + lo;
    i1[x] = offset + hi;
    w0[x] = lo === hi ? 0.5 : Math.abs(f(src - hi));
    w1[x] = lo === hi ? 0.5 : Math.abs(f(src - lo));
  }
  return { i0, i1, w0, w1 };
}

/**
 * Writes the zoomed view of the NCHW `[3, size, size]` tensor at `src[srcOffset..]` into `out[outOffset..]`
 * (`out` may not overlap the source).
 */
export function zoomTensor(src: Float32Array, size: number, z: number, out: Float32Array = new Float32Array(3 * size * size), srcOffset = 0, outOffset = 0): Float32Array {
  assertZoom(z, size);
  const f = Math.fround;
  const { i0, i1, w0, w1 } = taps(size, z, (size - z) / 2);
  const plane = size * size;
  for (let c = 0; c < 3; c++) {
    const base = srcOffset + c * plane;
    for (let y = 0; y < size; y++) {
      const r0 = base + i0[y]! * size;
      const r1 = base + i1[y]! * size;
      const wy0 = w0[y]!, wy1 = w1[y]!;
      const dst = outOffset + c * plane + y * size;
      for (let x = 0; x < size; x++) {
        const a = i0[x]!, b = i1[x]!, wx0 = w0[x]!, wx1 = w1[x]!;
        // onnxruntime's order: dx2*dy2*X11 + dx1*dy2*X21 + dx2*dy1*X12 + dx1*dy1*X22, each step rounded to float32.
        const t1 = f(f(wx0 * wy0) * src[r0 + a]!);
        const t2 = f(f(wx1 * wy0) * src[r0 + b]!);
        const t3 = f(f(wx0 * wy1) * src[r1 + a]!);
        const t4 = f(f(wx1 * wy1) * src[r1 + b]!);
        out[dst + x] = f(f(f(t1 + t2) + t3) + t4);
      }
    }
  }
  return out;
}

/** The same NCHW `[3, size, size]` items mirrored along the width. */
function mirrored(batch: Float32Array, width: number): Float32Array {
  const out = new Float32Array(batch.length);
  for (let row = 0; row < batch.length; row += width) for (let x = 0; x < width; x++) out[row + x] = batch[row + width - 1 - x]!;
  return out;
}

/**
 * A test-time view of every centre crop of a batch (`n` items, NCHW `[3, size, size]`): `center` (the batch
 * itself), `flip`, `zoom<z>`, `zoom<z>_flip`. What the exported graph computes from its input, in JS.
 */
export function viewsOfBatch(batch: Float32Array, n: number, size: number, view: string): Float32Array {
  if (view === 'center') return batch;
  if (view === 'flip') return mirrored(batch, size);
  const z = zoomOf(view);
  if (z === undefined) throw new Error(`view '${view}' is not a test-time view (center, flip, zoom<z>, zoom<z>_flip)`);
  const per = 3 * size * size;
  const zoomed = new Float32Array(n * per);
  for (let i = 0; i < n; i++) zoomTensor(batch, size, z, zoomed, i * per, i * per);
  return view.endsWith('_flip') ? mirrored(zoomed, size) : zoomed;
}
