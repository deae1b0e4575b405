/**
 * Stage `register`: the exported model becomes a version in the model registry with its lineage and test
 * metrics. The first version of a model becomes `champion`, later ones `challenger`; promotion is a separate,
 * gated decision (`pipeline registry promote`) unless `auto_promote` is set.
 */
import { Type } from '../../runner/schema-builder.ts';
import { defineStep } from '../../runner/step.ts';
import { GateRefusedError } from '../../stores/errors.ts';
import type { ModelLineage } from '../../stores/registry-types.ts';
import type { AggregateResult } from '../aggregate/aggregate-result.ts';
import type { ExportResult } from '../export/export-result.ts';
import { artifactsSection } from '../sections/artifacts.ts';
import { dataSection } from '../sections/data.ts';
import type { SplitResult } from '../split/split-result.ts';
import { gateOptions, gateSchema } from './gate.ts';
import { gitCommit, pipelineFileHash, relativeTo } from './lineage.ts';
import { monitoringProfileSchema } from './monitoring-profile-schema.ts';

const schema = Type.Object(
  {
    model: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', default: 'food101', description: 'Registered model name (the original project used best_model).' }),
    gate: gateSchema,
    auto_promote: Type.Boolean({ default: false, description: 'Promote the new challenger at once if it passes the gate.' }),
    monitoring_profile: monitoringProfileSchema,
    rollout: Type.Boolean({ default: false, description: "Start a rollout of the new challenger with serve.with.rollout (a running server carries it out: `pipeline rollout status`)." }),
  },
  { additionalProperties: false },
);

export interface RegisterResult {
  readonly model: string;
  readonly version: number;
  readonly aliases: readonly string[];
  readonly sha256: string;
}

export const registerStep = defineStep({
  name: 'register',
  version: 3,
  description: 'Register the exported model with lineage and metrics; champion if first, else challenger.',
  schema,
  needs: ['split', 'aggregate', 'export'],
  // data: to record the dataset version (subset) when this store has not seen it (split cached on another store).
  reads: [artifactsSection, dataSection],
  async run(ctx, params) {
    const split = ctx.input<SplitResult>('split');
    const agg = ctx.input<AggregateResult>('aggregate');
    const exp = ctx.input<ExportResult>('export');
    const registry = ctx.stores.registry;
    // The version's link to its data must resolve in this store: `registry show` lists the photos from it.
    await (await import('../split/record-version.ts')).recordDataVersion(ctx, split, { quietIfKnown: true });
    const metrics = Object.fromEntries(Object.entries(agg.winner.test).flatMap(([k, v]) => (typeof v === 'number' ? [[`test.${k}`, v]] : [])));
    const lineage = {
      dataset_version: split.datasetVersion,
      experiment: agg.experiment,
      run_id: agg.winner.runId,
      selection_run_id: agg.parentRunId,
      architecture: agg.winner.architecture,
      family: agg.winner.entry.family,
      combination: agg.winner.combination,
      params: agg.winner.params,
      refit: agg.winner.refit,
      pipeline_file: relativeTo(ctx.paths.workdir, ctx.pipelineFile),
      pipeline_file_sha256: pipelineFileHash(ctx.pipelineFile),
      resolved_config_sha256: ctx.pipelineHash,
      git_commit: gitCommit(ctx.paths.workdir),
      parity_max_abs_diff: exp.parity.maxAbsDiff,
      // Where the files are for any server, not only this machine: URIs and sha256 in the artifact store. Put
      // before the registration (keys are content-addressed: a model registered already rewrites the same objects).
      artifacts: await (await import('./put-artifacts.ts')).putExportedModel(ctx, ctx.section(artifactsSection), params.model, exp.dir),
    } satisfies ModelLineage;
    // "Already registered?" and the insert happen under the model's row lock: two processes registering the same
    // model file get one version.
    const outcome = await registry.registerUnlessPresent({ name: params.model, sourceDir: exp.dir, lineage, metrics });
    let version = outcome.version;
    if (!outcome.created) {
      ctx.log.info(`this model is already registered as ${params.model} v${version.version} (${version.aliases.join(', ') || 'no alias'})`);
      const result: RegisterResult = { model: params.model, version: version.version, aliases: version.aliases, sha256: version.sha256 };
      return { result, content: { model: result.model, version: result.version, sha256: result.sha256 } };
    }
    ctx.log.success(`registered ${params.model} v${version.version} as ${version.aliases.join(', ')} (test.accuracy ${metrics['test.accuracy']?.toFixed(4)})`);
    // Monitoring's reference for this version, from its test split (before any alias moves onto it).
    if (params.monitoring_profile.enabled) await (await import('./monitoring-profile.ts')).storeRegisterProfile(ctx, split, exp.dir, params.model, version.version, params.monitoring_profile);
    if (params.auto_promote && version.aliases.includes('challenger')) {
      try {
        await registry.promote(params.model, gateOptions(params.gate));
        version = (await registry.resolve(params.model, version.version))!;
        ctx.log.success(`auto-promoted v${version.version} to champion (gate ${params.gate.metric}, min_delta ${params.gate.min_delta})`);
      } catch (err) {
        if (!(err instanceof GateRefusedError)) throw err;
        ctx.log.warn(`not promoted: ${err.message}`);
      }
    }
    if (params.rollout && !params.auto_promote && version.aliases.includes('challenger')) {
      await (await import('./start-rollout.ts')).startRolloutOfRegistered(ctx, params.model, version.version, gateOptions(params.gate));
    }
    const result: RegisterResult = { model: params.model, version: version.version, aliases: version.aliases, sha256: version.sha256 };
    // Content: which version holds which bytes; aliases move later without changing what was registered.
    return { result, content: { model: result.model, version: result.version, sha256: result.sha256 }, outputs: [version.artifactDir] };
  },
});
