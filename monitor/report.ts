/**
 * The monitoring report: `report.md` with the latest window's detectors, the alerts, and two PNGs (rendered like
 * the aggregate report's plots, ml/plots): input distributions of the window against the reference, and each
 * detector's score over time against its threshold. Written atomically under `monitoring.report_dir`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../lib/fs-atomic.ts';
import { renderVegaLite, type TopLevelSpec } from '../ml/plots/render.ts';
import type { MonitoringStore } from '../stores/monitoring-store.ts';
import type { MonitorPass } from './run-window.ts';

const PLOTTED = ['brightness', 'contrast', 'saturation', 'sharpness', 'meanR', 'darkShare'] as const;

/** Reference vs window histograms (density) of the main input statistics and of the top-1 probability. */
export function distributionsSpec(pass: MonitorPass): TopLevelSpec {
  const rows: { stat: string; source: string; value: number }[] = [];
  for (const s of PLOTTED) {
    for (const v of pass.profile.stats[s]) rows.push({ stat: s, source: 'reference', value: v });
    for (const w of pass.window) rows.push({ stat: s, source: 'window', value: w.stats[s] });
  }
  for (const v of pass.profile.confidences) rows.push({ stat: 'confidence', source: 'reference', value: v });
  for (const w of pass.window) rows.push({ stat: 'confidence', source: 'window', value: w.confidence });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${pass.model} v${pass.version}: window (${pass.window.length}) vs reference (${pass.profile.size})`,
    background: 'white',
    data: { values: rows },
    facet: { field: 'stat', type: 'nominal', title: null },
    columns: 4,
    spec: {
      width: 200,
      height: 120,
      transform: [{ density: 'value', groupby: ['source'], as: ['value', 'density'] }],
      mark: { type: 'area', opacity: 0.5 },
      encoding: {
        x: { field: 'value', type: 'quantitative', title: null },
        y: { field: 'density', type: 'quantitative', title: null, stack: null },
        color: { field: 'source', type: 'nominal', scale: { domain: ['reference', 'window'], range: ['#1f77b4', '#d62728'] } },
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  } as TopLevelSpec;
}

/** Each detector's score per window over time, with its threshold. */
export function scoresSpec(history: readonly { windowEnd: number; detector: string; score: number; threshold: number; verdict: string }[]): TopLevelSpec {
  const rows = history.filter((h) => Number.isFinite(h.score)).map((h) => ({ t: new Date(h.windowEnd).toISOString(), detector: h.detector, score: h.score, threshold: Number.isFinite(h.threshold) ? h.threshold : null, verdict: h.verdict }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'detector scores per window (dashed: threshold; red: drift)',
    background: 'white',
    data: { values: rows },
    facet: { field: 'detector', type: 'nominal', title: null },
    columns: 4,
    spec: {
      width: 200,
      height: 110,
      layer: [
        { mark: { type: 'line', point: false, color: '#888' }, encoding: { x: { field: 't', type: 'temporal', title: null }, y: { field: 'score', type: 'quantitative', title: null } } },
        { mark: { type: 'point', filled: true }, encoding: { x: { field: 't', type: 'temporal' }, y: { field: 'score', type: 'quantitative' }, color: { field: 'verdict', type: 'nominal', scale: { domain: ['ok', 'drift', 'insufficient'], range: ['#2ca02c', '#d62728', '#aaaaaa'] } } } },
        { mark: { type: 'line', strokeDash: [4, 3], color: '#555' }, encoding: { x: { field: 't', type: 'temporal' }, y: { field: 'threshold', type: 'quantitative' } } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

const f = (v: number) => (Number.isFinite(v) ? v.toPrecision(3) : '-');

/** Writes report.md and its plots; returns the report's path. */
export async function writeMonitoringReport(stores: { monitoring: MonitoringStore }, o: { model: string; version: number; dir: string; latest: MonitorPass; sinceTs?: number }): Promise<string> {
  fs.mkdirSync(path.join(o.dir, 'plots'), { recursive: true });
  const history = await stores.monitoring.history(o.model, o.sinceTs ?? 0);
  const alerts = await stores.monitoring.recentAlerts(o.model, 20);
  const dist = path.join(o.dir, 'plots', 'distributions.png');
  const scores = path.join(o.dir, 'plots', 'scores.png');
  await renderVegaLite(distributionsSpec(o.latest), dist);
  await renderVegaLite(scoresSpec(history), scores);
  const e = o.latest.evaluation;
  const lines = [
    `# Monitoring: ${o.model} v${o.version}`,
    '',
    `Latest window: ${e.n} predictions, ${new Date(o.latest.windowStart).toISOString()} .. ${new Date(o.latest.windowEnd).toISOString()}; reference: ${o.latest.profile.size} test photos.`,
    '',
    '| detector | method | score | threshold | verdict |',
    '|---|---|---|---|---|',
    ...Object.entries(e.detectors).map(([k, d]) => `| ${k} | ${d.method} | ${f(d.score)} | ${f(d.threshold)} | ${d.verdict === 'drift' ? '**drift**' : d.verdict} |`),
    '',
    e.causes.length ? `**Likely cause:** ${e.causes.join('; ')}` : 'Nothing drifted.',
    '',
    '![distributions of the window against the reference](plots/distributions.png)',
    '',
    '![detector scores over time](plots/scores.png)',
    '',
    '## Alerts (newest first)',
    '',
    ...(alerts.length
      ? ['| when | event | version | detector | message | command |', '|---|---|---|---|---|---|', ...alerts.map((a) => `| ${new Date(a.ts).toISOString()} | ${a.event} | ${a.modelVersion} | ${a.detector} | ${a.message.replace(/\|/g, '/')} | \`${a.command}\` |`)]
      : ['none']),
    '',
  ];
  const file = path.join(o.dir, 'report.md');
  writeFileAtomic(file, lines.join('\n'));
  return file;
}
