/**
 * Isotonic regression (pool-adjacent-violators), increasing, with sklearn's IsotonicRegression semantics:
 * equal x are pooled first, the fit keeps one threshold per block end, and prediction interpolates linearly
 * between thresholds and clips outside them (out_of_bounds='clip'). Used to map a top-1 probability to the
 * probability that the prediction is right.
 */

/** A fitted increasing step-and-ramp function. JSON-serialisable. */
export interface IsotonicFit {
  readonly x: number[];
  readonly y: number[];
}

/** Fits an increasing function to (x, y) pairs with optional weights. */
export function fitIsotonic(x: readonly number[], y: readonly number[], w?: readonly number[]): IsotonicFit {
  if (x.length !== y.length || x.length === 0) throw new Error(`fitIsotonic: need equal, non-empty x and y (got ${x.length} and ${y.length})`);
  const order = [...x.keys()].sort((a, b) => x[a]! - x[b]! || y[a]! - y[b]!);
  // Pool equal x values into one point (weighted mean of y), as sklearn does before PAV.
  const ux: number[] = [], uy: number[] = [], uw: number[] = [];
  for (const i of order) {
    const wi = w?.[i] ?? 1;
    const last = ux.length - 1;
    if (last >= 0 && ux[last] === x[i]) {
      uy[last] = (uy[last]! * uw[last]! + y[i]! * wi) / (uw[last]! + wi);
      uw[last]! += wi;
    } else ux.push(x[i]!), uy.push(y[i]!), uw.push(wi);
  }
  // PAV with a stack of blocks: [start index, end index, mean, weight].
  const blocks: [number, number, number, number][] = [];
  for (let i = 0; i < ux.length; i++) {
    blocks.push([i, i, uy[i]!, uw[i]!]);
    while (blocks.length > 1 && blocks[blocks.length - 2]![2] >= blocks[blocks.length - 1]![2]) {
      const b = blocks.pop()!, a = blocks.pop()!;
      const wt = a[3] + b[3];
      blocks.push([a[0], b[1], (a[2] * a[3] + b[2] * b[3]) / wt, wt]);
    }
  }
  // Keep the first and last x of each block (sklearn keeps both ends so interpolation is flat inside a block).
  const fx: number[] = [], fy: number[] = [];
  for (const [s, e, m] of blocks) {
    fx.push(ux[s]!), fy.push(m);
    if (e !== s) fx.push(ux[e]!), fy.push(m);
  }
  return { x: fx, y: fy };
}

/** Evaluates the fit at `v`: linear interpolation between thresholds, clipped at the ends (np.interp). */
export function predictIsotonic(fit: IsotonicFit, v: number): number {
  const { x, y } = fit;
  if (v <= x[0]!) return y[0]!;
  if (v >= x[x.length - 1]!) return y[y.length - 1]!;
  let lo = 0, hi = x.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid]! <= v) lo = mid;
    else hi = mid;
  }
  const t = x[hi]! === x[lo]! ? 0 : (v - x[lo]!) / (x[hi]! - x[lo]!);
  return y[lo]! + t * (y[hi]! - y[lo]!);
}
