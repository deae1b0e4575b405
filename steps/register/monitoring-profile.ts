/** The register stage's monitoring profile: the version's test split (and a training sample) through its model. */
import fs from 'node:fs';
import path from 'node:path';
import { buildVersionProfile } from '../../monitor/build-profile.ts';
import type { StepContext } from '../../runner/context.ts';
import { parseCsv } from '../split/manifest.ts';
import type { SplitResult } from '../split/split-result.ts';
import type { MonitoringProfileParams } from './monitoring-profile-schema.ts';

const photos = (split: SplitResult, which: 'train' | 'test') =>
  parseCsv(fs.readFileSync(path.join(split.dir, `${which}.csv`), 'utf8')).map((e) => ({ file: path.join(split.root, e.path), label: e.className }));

/**
 * Builds and stores the profile. A version is registered even when this fails (a test split too small for a
 * reference, a model without the `features` output): monitoring then says which command builds it later.
 */
export async function storeRegisterProfile(ctx: StepContext, split: SplitResult, modelDir: string, model: string, version: number, p: MonitoringProfileParams): Promise<void> {
  try {
    await buildAndStore(ctx, split, modelDir, model, version, p);
  } catch (err) {
    ctx.log.warn(`no monitoring profile for ${model} v${version}: ${err instanceof Error ? err.message : String(err)}; monitoring will skip this version until \`pipeline monitor profile ${model}@${version}\` builds one`);
  }
}

async function buildAndStore(ctx: StepContext, split: SplitResult, modelDir: string, model: string, version: number, p: MonitoringProfileParams): Promise<void> {
  const profile = await buildVersionProfile({
    modelDir,
    test: photos(split, 'test'),
    train: photos(split, 'train'),
    dim: p.dim,
    maxTrain: p.max_train,
    log: (m) => ctx.log.info(m),
  });
  await ctx.stores.monitoring.putProfile(model, version, profile);
  ctx.log.info(`stored the monitoring reference profile of ${model} v${version} (${profile.size} photos)`);
}
