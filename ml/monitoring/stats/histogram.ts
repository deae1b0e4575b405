/** numpy-compatible histogram binning, so binned drift scores match Evidently's numbers. */

/** Equal-width edges over [min, max] with Sturges' bin count (np.histogram_bin_edges(values, bins='sturges')). */
export function sturgesEdges(values: ArrayLike<number>): Float64Array {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) throw new Error('sturgesEdges: no finite values to bin');
  if (lo === hi) return linspace(lo - 0.5, hi + 0.5, 2); // numpy widens a degenerate range by 0.5 each side
  const width = (hi - lo) / (Math.log2(values.length) + 1);
  const bins = Math.max(1, Math.ceil((hi - lo) / width));
  return linspace(lo, hi, bins + 1);
}

/** np.linspace: start + i * step, with the last value exactly `stop`. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = start + i * step;
  out[num - 1] = stop;
  return out;
}

/** Counts per bin as np.histogram: bins are [e_i, e_{i+1}) except the last, which is closed; values outside are dropped. */
export function histogramCounts(values: ArrayLike<number>, edges: Float64Array): Float64Array {
  const nb = edges.length - 1;
  const counts = new Float64Array(nb);
  const first = edges[0]!, last = edges[nb]!;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= first && v <= last)) continue;
    // Largest e with edges[e] <= v, capped at the last bin.
    let lo = 0, hi = nb;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! <= v) lo = mid;
      else hi = mid;
    }
    counts[lo]! += 1;
  }
  return counts;
}
