/**
 * `register.with.rollout: true`: the version just registered (as challenger) starts a rollout with the pipeline
 * file's `serve.with.rollout` (re-read from the file: a stage sees only its own parameters). A running server
 * on the same store carries it out.
 */
import type { StepContext } from '../../runner/context.ts';
import type { RolloutSpecInput } from '../serve/rollout-schema.ts';
import type { gateOptions } from './gate.ts';

export async function startRolloutOfRegistered(ctx: StepContext, model: string, version: number, gate: ReturnType<typeof gateOptions>): Promise<void> {
  const [{ load }, { registry }, { startRollout }, { RolloutConflictError }] = await Promise.all([
    import('../../runner/cli/shared.ts'), import('../index.ts'), import('../../rollouts/start.ts'), import('../../rollouts/store.ts'),
  ]);
  const config = await load(registry, ctx.pipelineFile);
  const serve = config.stages.find((s) => s.step.name === 'serve');
  const spec = (serve?.params.rollout as Partial<RolloutSpecInput> | undefined) ?? {};
  const { monitoringFromPipeline } = await import('../../monitor/settings.ts');
  const { configuredNotifier } = await import('../../rollouts/notify-config.ts');
  // The stage logs its own line; webhook and file sinks hear of the start like the server's later events.
  const notify = configuredNotifier(monitoringFromPipeline(config).params, config.workdir, ctx.log, { log: false });
  try {
    const s = await startRollout({ store: ctx.stores.rollouts, registry: ctx.stores.registry, modelName: model, version, spec, gate, actor: `pipeline:${ctx.stage}`, notify });
    await notify.settled();
    ctx.log.success(`started a ${s.strategy} rollout (${s.id.slice(0, 8)}) of v${version} against v${s.stableVersion}: a server (pipeline serve) carries it out; watch it with \`pipeline rollout status ${model}\``);
  } catch (err) {
    if (!(err instanceof RolloutConflictError)) throw err;
    ctx.log.warn(`no rollout started: ${err.message}`);
  }
}
