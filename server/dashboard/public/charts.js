// Time-series charts on uPlot: a legend with units, axes labelled, colours from the page's theme (light/dark).
import uPlot from '/dashboard/vendor/uPlot.esm.js';

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const dark = window.matchMedia('(prefers-color-scheme: dark)');
const charts = new Set();

/**
 * spec: { title, unit, yLabel, series: [{ label, color: '--c1', dash?: true }], format(v) }
 * Returns { setData([xsSeconds, ...ys]) }.
 */
export function timeChart(el, spec) {
  const state = { el, spec, plot: null, data: [[], ...spec.series.map(() => [])] };
  const build = () => {
    state.plot?.destroy();
    const axisColor = css('--fg-muted'), grid = css('--grid');
    const opts = {
      title: spec.title,
      width: Math.max(260, el.clientWidth),
      height: spec.height ?? 200,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [Math.min(0, min ?? 0), Math.max(spec.minMax ?? 1, (max ?? 1) * 1.1)] } },
      axes: [
        { stroke: axisColor, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: axisColor, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, label: spec.yLabel, size: 56, values: (u, vals) => vals.map((v) => spec.tick(v)) },
      ],
      series: [
        { label: 'time', value: (u, v) => (v == null ? '–' : new Date(v * 1000).toLocaleTimeString()) },
        ...spec.series.map((s) => ({
          label: s.label,
          stroke: css(s.color),
          width: s.width ?? 2,
          dash: s.dash ? [6, 4] : undefined,
          spanGaps: s.spanGaps ?? false,
          points: { show: false },
          value: (u, v) => (v == null ? '–' : spec.format(v)),
        })),
      ],
    };
    state.plot = new uPlot(opts, state.data, el);
  };
  build();
  charts.add(state);
  state.rebuild = build;
  return {
    setData(data) {
      state.data = data;
      state.plot.setData(data);
    },
  };
}

// Re-size with the panel; re-colour when the system switches light/dark.
const ro = new ResizeObserver(() => {
  for (const c of charts) if (c.plot && Math.abs(c.plot.width - c.el.clientWidth) > 8) c.plot.setSize({ width: Math.max(260, c.el.clientWidth), height: c.plot.height });
});
export function observe(el) {
  ro.observe(el);
}
dark.addEventListener('change', () => {
  for (const c of charts) c.rebuild();
});
