import type { Command } from 'commander';
import { printJson } from '../../../runner/cli/shared.ts';
import { fmt, table, when } from '../../../runner/cli/table.ts';
import { UsageError } from '../../../runner/errors.ts';
import type { Product } from '../../../runner/services.ts';
import { RUN_STATUSES, type RunStatus } from '../../../stores/tracking-types.ts';
import { storeOptions, withStores, type StoreFlags } from '../with-stores.ts';

export function runsCommand(program: Command, product: Product): void {
  const runs = program.command('runs').description('Tracked training runs: list them, show one.');
  storeOptions(
    runs
      .command('list')
      .description('List runs (newest attempt of each run name) with their status and final validation metrics.')
      .option('--experiment <name>', 'only runs of this experiment (name or id)')
      .option('--status <status>', 'only runs with this status (running, finished, failed, killed)')
      .option('--attempts', 'every attempt of a retried run, not only the newest')
      .option('--json', 'print JSON: params, tags, latest metrics and every metric series'),
  ).action((opts: StoreFlags & { experiment?: string; status?: string; attempts?: boolean; json?: boolean }) =>
    withStores(product, opts, async (stores) => {
      if (opts.status && !RUN_STATUSES.includes(opts.status as RunStatus)) throw new UsageError(`--status ${opts.status}: expected one of ${RUN_STATUSES.join(', ')}`);
      // One query per table for the whole listing (no per-run lookups).
      const list = await stores.tracking.listRuns({
        experiment: opts.experiment,
        status: opts.status as RunStatus | undefined,
        latestAttempts: !opts.attempts,
        withSeries: opts.json,
      });
      if (opts.json) return printJson(list);
      const experiments = new Map((await stores.tracking.listExperiments()).map((e) => [e.id, e.name]));
      const headers = ['run', 'status', 'experiment', 'val_acc', 'val_loss', 'started', 'run_id', ...(opts.attempts ? [] : ['attempts'])];
      process.stdout.write(
        table(
          headers,
          list.map((r) => [r.name, r.status, experiments.get(r.experimentId) ?? String(r.experimentId), fmt(r.metrics.val_acc?.value), fmt(r.metrics.val_loss?.value), when(r.startTime), r.runId, ...(opts.attempts ? [] : [String(r.attempts)])]),
        ),
      );
    }),
  );
  storeOptions(
    runs
      .command('show')
      .description('Show one run: params, tags, metric series, artifacts.')
      .argument('<run>', 'run id or run name (the newest run of that name)')
      .option('--experiment <name>', 'look the name up in this experiment')
      .option('--json', 'print JSON (full metric series)'),
  ).action((run: string, opts: StoreFlags & { experiment?: string; json?: boolean }) =>
    withStores(product, opts, async (stores) => {
      const detail = await stores.tracking.getRun(run, { experiment: opts.experiment });
      if (!detail) throw new UsageError(`no run '${run}' in the tracking store (${stores.target}); see \`pipeline runs list\``);
      if (opts.json) return printJson(detail);
      const lines = [
        `run ${detail.name} (${detail.runId})  status ${detail.status}${detail.error ? `: ${detail.error}` : ''}`,
        `started ${when(detail.startTime)}  ended ${when(detail.endTime)}${detail.parentRunId ? `  parent ${detail.parentRunId}` : ''}`,
        '',
        'params:',
        ...Object.entries(detail.params).map(([k, v]) => `  ${k} = ${v}`),
        'tags:',
        ...Object.entries(detail.tags).map(([k, v]) => `  ${k} = ${v}`),
        'metrics (last value, points):',
        ...Object.entries(detail.series).map(([k, s]) => `  ${k} = ${fmt(s[s.length - 1]?.value)} (${s.length} points)`),
        'artifacts:',
        ...detail.artifacts.map((a) => `  ${a.path}  ${a.size} bytes  sha256 ${a.sha256.slice(0, 12)}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }),
  );
}
