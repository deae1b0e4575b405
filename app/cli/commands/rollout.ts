/**
 * `pipeline rollout start|status|pause|resume|abort|promote|history`: rollouts of a registered model, on the same
 * store the servers read. Defaults (strategy, steps, analysis, gate) come from the pipeline file's serve and
 * register stages. A running `pipeline serve` carries the rollout out; `start` only records it.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Command } from 'commander';
import { DEFAULT_PIPELINE, load, printJson, terminal } from '../../../runner/cli/shared.ts';
import { table, when } from '../../../runner/cli/table.ts';
import { UsageError } from '../../../runner/errors.ts';
import type { Product } from '../../../runner/services.ts';
import { rolloutRuntime, startRollout } from '../../../rollouts/index.ts';
import { formatStatus } from '../../../rollouts/format.ts';
import { configuredNotifier } from '../../../rollouts/notify-config.ts';
import { cliLog } from '../cli-log.ts';
import { defaultMonitoring, monitoringFromPipeline } from '../../../monitor/settings.ts';
import { RolloutSpecError } from '../../../rollouts/spec.ts';
import { RolloutStartError } from '../../../rollouts/start.ts';
import { RolloutConflictError } from '../../../rollouts/store.ts';
import type { RolloutAction, RolloutStrategy } from '../../../server/control-ports.ts';
import { gateOptions, type Gate } from '../../../steps/register/gate.ts';
import type { RolloutSpecInput } from '../../../steps/serve/rollout-schema.ts';
import { storeOptions, withStores, type StoreFlags } from '../with-stores.ts';

interface PipelineDefaults {
  model: string;
  spec: Partial<RolloutSpecInput>;
  gate: ReturnType<typeof gateOptions>;
  /** The pipeline file's notification sinks (webhook, file; the command prints its own line). */
  notify: ReturnType<typeof configuredNotifier>;
}

async function defaults(product: Product, flags: StoreFlags): Promise<PipelineDefaults> {
  const file = flags.pipeline ?? (fs.existsSync(DEFAULT_PIPELINE) ? DEFAULT_PIPELINE : undefined);
  let model = 'food101';
  let spec: Partial<RolloutSpecInput> = {};
  let gate: Gate = { metric: 'test.accuracy', min_delta: 0 };
  let notify = configuredNotifier(defaultMonitoring(), process.cwd(), cliLog, { log: false });
  if (file) {
    const config = await load(product.registry, file);
    notify = configuredNotifier(monitoringFromPipeline(config).params, config.workdir, cliLog, { log: false });
    const serve = config.stages.find((s) => s.step.name === 'serve');
    const register = config.stages.find((s) => s.step.name === 'register');
    if (serve) {
      model = String(serve.params.model ?? model);
      spec = (serve.params.rollout as Partial<RolloutSpecInput> | undefined) ?? {};
    }
    if (register) gate = register.params.gate as Gate;
  }
  return { model, spec, gate: gateOptions(gate), notify };
}

const actor = () => process.env.USER ?? os.userInfo().username ?? 'cli';

function rethrow(err: unknown): never {
  if (err instanceof RolloutStartError || err instanceof RolloutConflictError || err instanceof RolloutSpecError) throw new UsageError(err.message);
  throw err;
}

export function rolloutCommand(program: Command, product: Product): void {
  const rollout = program
    .command('rollout')
    .description('Shadow, A/B and canary rollouts of a new model version, carried out by the running servers (pipeline serve).');
  storeOptions(
    rollout
      .command('start')
      .description("Start rolling out a version (default: the challenger) against the champion, with the pipeline file's serve.with.rollout.")
      .argument('[model]', "registered model (default: the serve stage's model)")
      .option('--version <n>', 'version to roll out (default: the challenger alias)')
      .option('--strategy <s>', 'shadow, ab or canary (default: serve.with.rollout.strategy; another strategy uses its default steps)'),
  ).action((model: string | undefined, opts: StoreFlags & { version?: string; strategy?: string }) =>
    defaults(product, opts).then((d) =>
      withStores(product, opts, async (stores) => {
        const name = model ?? d.model;
        if (opts.strategy !== undefined && !['shadow', 'ab', 'canary'].includes(opts.strategy)) throw new UsageError(`--strategy ${opts.strategy}: use shadow, ab or canary`);
        const version = opts.version === undefined ? undefined : Number(opts.version.replace(/^v/, ''));
        if (version !== undefined && (!Number.isInteger(version) || version < 1)) throw new UsageError(`--version ${opts.version}: expected a version number such as 3`);
        const s = await startRollout({
          store: stores.rollouts, registry: stores.registry, modelName: name, version, strategy: opts.strategy as RolloutStrategy | undefined, spec: d.spec, gate: d.gate, actor: actor(), notify: d.notify,
        }).catch(rethrow);
        await d.notify.settled();
        process.stdout.write(`${terminal().color.green('✓')} ${name}: ${s.strategy} rollout ${s.id.slice(0, 8)} of v${s.candidateVersion} against v${s.stableVersion} started; the servers pick it up within their poll (see \`pipeline rollout status ${name}\`)\n`);
      }, { create: false }),
    ),
  );
  storeOptions(
    rollout.command('status').description('The newest rollout of the model: phase, weights, steps, per-variant metrics, analysis, events.').argument('[model]', 'registered model').option('--json', 'print JSON'),
  ).action((model: string | undefined, opts: StoreFlags & { json?: boolean }) =>
    defaults(product, opts).then((d) =>
      withStores(product, opts, async (stores) => {
        const name = model ?? d.model;
        const status = await rolloutRuntime(stores).service.current(name);
        if (opts.json) return printJson(status);
        if (!status) return void process.stdout.write(`${name}: no rollout yet (start one with \`pipeline rollout start ${name}\`)\n`);
        process.stdout.write(formatStatus(status));
      }),
    ),
  );
  for (const [action, what] of [
    ['pause', 'Hold the rollout at its step (weights stay) until resumed.'],
    ['resume', 'Go on from a pause (also past an indefinite `pause: {}` step).'],
    ['abort', 'End the rollout: all traffic back to the champion (the candidate stays challenger).'],
    ['promote', 'Promote the candidate now, skipping the remaining steps (the registry gate is forced).'],
  ] as const) {
    storeOptions(rollout.command(action).description(what).argument('[model]', 'registered model').option('--reason <text>', 'recorded with the event')).action(
      (model: string | undefined, opts: StoreFlags & { reason?: string }) =>
        defaults(product, opts).then((d) =>
          withStores(product, opts, async (stores) => {
            const name = model ?? d.model;
            const s = await rolloutRuntime(stores, { notify: d.notify }).service.act(name, action as RolloutAction, actor(), opts.reason).catch((err: unknown) => {
              throw err instanceof Error && !(err instanceof UsageError) && /rollout/.test(err.message) ? new UsageError(err.message) : err;
            });
            await d.notify.settled();
            process.stdout.write(`${terminal().color.green('✓')} ${name}: ${s.events.at(-1)?.message ?? action} (phase ${s.phase})\n`);
          }),
        ),
    );
  }
  storeOptions(rollout.command('history').description('Past and present rollouts of the model, newest first.').argument('[model]', 'registered model').option('--json', 'print JSON')).action(
    (model: string | undefined, opts: StoreFlags & { json?: boolean }) =>
      defaults(product, opts).then((d) =>
        withStores(product, opts, async (stores) => {
          const name = model ?? d.model;
          const list = await stores.rollouts.list(name);
          if (opts.json) return printJson(list.map(({ spec: _spec, ...s }) => s));
          if (!list.length) return void process.stdout.write(`${name}: no rollouts yet\n`);
          const events = await Promise.all(list.map((s) => stores.rollouts.events(s.id)));
          process.stdout.write(table(
            ['rollout', 'strategy', 'candidate', 'stable', 'phase', 'started', 'updated', 'last event'],
            list.map((s, i) => [s.id.slice(0, 8), s.strategy, `v${s.candidateVersion}`, `v${s.stableVersion}`, s.phase, when(s.startedAt), when(s.updatedAt), (events[i]!.at(-1)?.message ?? '').slice(0, 80)]),
          ));
        }),
      ),
  );
}
