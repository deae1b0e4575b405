/**
 * `pipeline monitor`: one monitoring pass over the newest window of the prediction log (each detector's score,
 * threshold and verdict; alerts to the configured sinks), `monitor profile <model>@<version>` for versions
 * registered before monitoring, `monitor alerts` and `monitor ack <id>`.
 */
import type { Command } from 'commander';
import { cliLog } from '../cli-log.ts';
import { monitorPass, MonitorSkipped } from '../../../monitor/run-window.ts';
import { monitoringFromPipeline, sinksFrom } from '../../../monitor/settings.ts';
import { buildVersionProfile } from '../../../monitor/build-profile.ts';
import { writeMonitoringReport } from '../../../monitor/report.ts';
import { toMonitorConfig } from '../../../steps/serve/monitoring-schema.ts';
import { DEFAULT_PIPELINE, load, printJson } from '../../../runner/cli/shared.ts';
import { table, when } from '../../../runner/cli/table.ts';
import { UsageError } from '../../../runner/errors.ts';
import type { Product } from '../../../runner/services.ts';
import type { PipelineConfig } from '../../../runner/config/pipeline-config.ts';
import fs from 'node:fs';
import path from 'node:path';
import { storeOptions, withStores, type StoreFlags } from '../with-stores.ts';

interface MonitorFlags extends StoreFlags {
  model?: string;
  version?: string;
  window?: string;
  since?: string;
  json?: boolean;
  notify?: boolean;
  report?: boolean;
}

/** `--since 30m` / `2h` / `1d` / an ISO time -> ms since epoch. */
export function parseSince(v: string, now = Date.now()): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(v);
  if (m) return now - Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`--since ${v}: expected a duration (30m, 2h, 1d) or an ISO time (2026-12-02T08:00:00Z)`);
  return t;
}

const jsonNumber = (v: number) => (Number.isFinite(v) ? v : null);

async function pipelineOf(product: Product, flags: StoreFlags): Promise<PipelineConfig | undefined> {
  const file = flags.pipeline ?? (fs.existsSync(DEFAULT_PIPELINE) ? DEFAULT_PIPELINE : undefined);
  return file ? load(product.registry, file) : undefined;
}

export function monitorCommand(program: Command, product: Product): void {
  const monitor = storeOptions(
    program
      .command('monitor')
      .description("One monitoring pass: the newest window of the prediction log against the version's reference profile; prints each detector's score, threshold and verdict, stores them, and sends alerts to the pipeline's sinks.")
      .option('--model <name>', "registered model (default: the pipeline's serve model, else food101)")
      .option('--version <n>', 'model version (default: the version of the newest logged prediction)')
      .option('--window <n>', 'window = the newest n predictions (default: monitoring.window.requests)')
      .option('--since <time>', 'only predictions since this time: 30m, 2h, 1d or an ISO time')
      .option('--no-notify', 'store the results but send no alert to the sinks')
      .option('--report', 'also write the markdown report with plots (monitoring.report_dir)')
      .option('--json', 'print JSON'),
  ).action((flags: MonitorFlags) =>
    withStores(product, flags, async (stores) => {
      const config = await pipelineOf(product, flags);
      const { params, model: fileModel } = monitoringFromPipeline(config);
      const model = flags.model ?? fileModel ?? 'food101';
      if (flags.window !== undefined && !/^\d+$/.test(flags.window)) throw new UsageError(`--window ${flags.window}: expected a number of predictions`);
      if (flags.version !== undefined && !/^\d+$/.test(flags.version)) throw new UsageError(`--version ${flags.version}: expected a version number`);
      const workdir = config?.workdir ?? process.cwd();
      let pass;
      try {
        pass = await monitorPass(stores, {
          model,
          version: flags.version === undefined ? undefined : Number(flags.version),
          window: {
            requests: flags.window === undefined ? params.window.requests : Number(flags.window),
            ...(flags.since !== undefined ? { sinceTs: parseSince(flags.since) } : params.window.minutes !== undefined && flags.window === undefined ? { sinceTs: Date.now() - params.window.minutes * 60e3 } : {}),
          },
          config: toMonitorConfig(params),
          sinks: flags.notify === false ? [] : sinksFrom(params, workdir, cliLog),
          retrainCommand: params.retrain_command,
          log: cliLog,
        });
      } catch (err) {
        if (err instanceof MonitorSkipped) throw new UsageError(err.message);
        throw err;
      }
      const e = pass.evaluation;
      let report: string | undefined;
      if (flags.report) report = await writeMonitoringReport(stores, { model, version: pass.version, dir: path.resolve(workdir, params.report_dir), latest: pass });
      if (flags.json) {
        return printJson({
          model, version: pass.version,
          window: { start: new Date(pass.windowStart).toISOString(), end: new Date(pass.windowEnd).toISOString(), n: e.n },
          detectors: Object.fromEntries(Object.entries(e.detectors).map(([k, d]) => [k, { method: d.method, score: jsonNumber(d.score), threshold: jsonNumber(d.threshold), verdict: d.verdict }])),
          causes: e.causes,
          drifted: e.drifted,
          alerts: pass.alerts.map((a) => ({ id: a.id, event: a.event, detector: a.detector, message: a.message, command: a.command })),
          ...(report ? { report } : {}),
        });
      }
      const out = process.stdout;
      out.write(`${model} v${pass.version}: window of ${e.n} predictions, ${when(pass.windowStart)} .. ${when(pass.windowEnd)}\n\n`);
      const f = (v: number) => (Number.isFinite(v) ? v.toPrecision(3) : '-');
      out.write(table(['detector', 'method', 'score', 'threshold', 'verdict'], Object.entries(e.detectors).map(([k, d]) => [k, d.method, f(d.score), f(d.threshold), d.verdict])));
      out.write(e.causes.length ? `\nlikely cause: ${e.causes.join('; ')}\n` : '\nnothing drifted\n');
      for (const a of pass.alerts) out.write(`alert ${a.event}: ${a.detector}: ${a.message}${a.event === 'fire' ? `\n  to retrain: ${a.command}` : ''}\n`);
      if (report) out.write(`report: ${report}\n`);
    }),
  );

  storeOptions(
    monitor
      .command('profile')
      .description('Build (or rebuild) the monitoring reference profile of a registered version from its test split (for versions registered before monitoring).')
      .argument('<ref>', '<model>@<version>, e.g. food101@3')
      .option('--dim <n>', 'projection dimensions (16-64)', '32'),
  ).action((ref: string, flags: StoreFlags & { dim: string }) =>
    withStores(product, flags, async (stores) => {
      const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*)@(\d+)$/.exec(ref);
      if (!m) throw new UsageError(`${ref}: expected <model>@<version>, e.g. food101@3`);
      const [, name, v] = m;
      const version = await stores.registry.resolve(name!, Number(v));
      if (!version) throw new UsageError(`no registered version ${name}@${v}: see \`pipeline registry list\``);
      const dsv = version.lineage.dataset_version;
      const ds = dsv ? await stores.dataVersions.get(dsv) : undefined;
      if (!ds) throw new UsageError(`${ref}: its dataset version '${dsv}' is not in this store; run the split stage of its pipeline against this store first`);
      const photos = async (split: 'train' | 'test') => (await stores.dataVersions.images(ds.version, { split })).map((i) => ({ file: path.join(ds.sourceRoot, i.path), label: i.className }));
      const profile = await buildVersionProfile({ modelDir: version.artifactDir, test: await photos('test'), train: await photos('train'), dim: Number(flags.dim), log: (s) => process.stderr.write(`${s}\n`) });
      await stores.monitoring.putProfile(name!, version.version, profile);
      process.stdout.write(`stored the monitoring profile of ${name} v${version.version} (${profile.size} reference photos, ${profile.projection.dim}-d projection)\n`);
    }),
  );

  storeOptions(monitor.command('alerts').description('Recent alerts, newest first.').option('--model <name>', 'registered model', 'food101').option('--limit <n>', 'how many', '20').option('--json', 'print JSON')).action(
    (flags: StoreFlags & { model: string; limit: string; json?: boolean }) =>
      withStores(product, flags, async (stores) => {
        const alerts = await stores.monitoring.recentAlerts(flags.model, Number(flags.limit));
        if (flags.json) return printJson(alerts);
        if (!alerts.length) return void process.stdout.write(`no alerts for ${flags.model}\n`);
        process.stdout.write(table(['id', 'when', 'event', 'version', 'detector', 'message', 'acknowledged'], alerts.map((a) => [a.id.slice(0, 8), when(a.ts), a.event, String(a.modelVersion), a.detector, a.message, a.acknowledgedBy ?? '-'])));
      }),
  );

  storeOptions(monitor.command('ack').description('Acknowledge an alert.').argument('<id>', 'alert id').option('--by <name>', 'who', process.env.USER ?? 'cli')).action(
    (id: string, flags: StoreFlags & { by: string }) =>
      withStores(product, flags, async (stores) => {
        await stores.monitoring.acknowledge(id, flags.by);
        process.stdout.write(`acknowledged ${id}\n`);
      }),
  );
}
