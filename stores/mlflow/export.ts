/**
 * Exports the tracking store and the model registry as an MLflow file store, so that
 * `mlflow ui --backend-store-uri <outDir>` shows the experiments, runs and registered models. The tree is built
 * in a temporary sibling and renamed into place; URIs inside it point at the final `outDir`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeDirAtomic } from '../../lib/fs-atomic.ts';
import { systemClock, type Clock } from '../common.ts';
import { InvalidStateError } from '../errors.ts';
import type { RegistryStore } from '../registry-types.ts';
import type { RunDetail, TrackingStore } from '../tracking-types.ts';
import {
  DEFAULT_EXPERIMENT_ID, experimentMeta, experimentOf, fileUri, keyPath, metricLine, modelVersionMeta, modelVersionTags,
  registeredModelMeta, runMeta, runTags, toYaml,
} from './layout.ts';

export interface MlflowExportOptions {
  /** Relative artifact paths resolve against this. Default: the current directory. */
  readonly artifactRoot?: string;
  /** Put artifact files into the tree (`copy`, default), link them (`symlink`) or leave them out (`none`). */
  readonly artifacts?: 'copy' | 'symlink' | 'none';
  /** MLflow's `user_id`. Default: the OS user. */
  readonly userId?: string;
  /** Replace `outDir` if it exists (default: refuse, so an unrelated directory is never wiped). */
  readonly overwrite?: boolean;
  /** Creation time of the `Default` experiment (tests inject a fixed clock). */
  readonly now?: Clock;
}

export interface MlflowExportSummary {
  readonly outDir: string;
  readonly experiments: number;
  readonly runs: number;
  readonly models: number;
  readonly versions: number;
  /** Artifacts recorded in the store whose file no longer exists (`<run id>: <path>`). */
  readonly missingArtifacts: readonly string[];
}

export async function exportMlflow(
  stores: { readonly tracking: TrackingStore; readonly registry: RegistryStore },
  outDir: string,
  opts: MlflowExportOptions = {},
): Promise<MlflowExportSummary> {
  const root = path.resolve(outDir);
  if (!opts.overwrite && fs.existsSync(root) && fs.readdirSync(root).length > 0) {
    throw new InvalidStateError('MLFLOW_EXPORT_TARGET_EXISTS', `${root} exists and is not empty: choose a new directory or pass --overwrite to replace it`);
  }
  const userId = opts.userId ?? os.userInfo().username;
  const now = (opts.now ?? systemClock)();
  const missing: string[] = [];
  let runCount = 0;
  let versionCount = 0;
  // Four queries in all (plus one per table slice), whatever the number of runs and versions.
  const experiments = await stores.tracking.listExperiments();
  const runs = await stores.tracking.listRuns({ withSeries: true, withArtifacts: true });
  const models = await stores.registry.listModels();
  const versions = await stores.registry.listAllVersions();

  await writeDirAtomic(root, (tmp) => {
    const write = (rel: string, content: string) => {
      const file = path.join(tmp, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    };
    const writeKeys = (dir: string, values: Readonly<Record<string, string>>) => {
      for (const [k, v] of Object.entries(values)) write(path.join(dir, keyPath(k)), v);
    };
    fs.mkdirSync(path.join(tmp, '.trash'));
    const defaultExp = { id: DEFAULT_EXPERIMENT_ID, name: 'Default', createdAt: now, lastUpdateTime: now };
    write('0/meta.yaml', toYaml(experimentMeta(defaultExp, fileUri(path.join(root, '0')))));

    for (const exp of experiments) {
      const id = String(exp.id);
      write(path.join(id, 'meta.yaml'), toYaml(experimentMeta(experimentOf(exp), fileUri(path.join(root, id)))));
      writeKeys(path.join(id, 'tags'), exp.tags);
      for (const record of runs) {
        if (record.experimentId !== exp.id) continue;
        const run: RunDetail = { ...record, series: record.series ?? {}, artifacts: record.artifacts ?? [] };
        runCount++;
        const runDir = path.join(id, run.runId);
        const artifactDir = path.join(root, runDir, 'artifacts');
        write(path.join(runDir, 'meta.yaml'), toYaml(runMeta(run, fileUri(artifactDir), userId)));
        for (const sub of ['metrics', 'params', 'artifacts']) fs.mkdirSync(path.join(tmp, runDir, sub), { recursive: true });
        for (const [key, series] of Object.entries(run.series)) write(path.join(runDir, 'metrics', keyPath(key)), series.map(metricLine).join(''));
        writeKeys(path.join(runDir, 'params'), run.params);
        writeKeys(path.join(runDir, 'tags'), runTags(run, userId));
        missing.push(...placeArtifacts(run, path.join(tmp, runDir, 'artifacts'), opts));
      }
    }

    for (const model of models) {
      const modelDir = path.join('models', model.name);
      write(path.join(modelDir, 'meta.yaml'), toYaml(registeredModelMeta(model)));
      for (const [alias, version] of Object.entries(model.aliases)) write(path.join(modelDir, 'aliases', alias), String(version));
      for (const v of versions) {
        if (v.name !== model.name) continue;
        versionCount++;
        const runId = v.lineage.run_id ?? null;
        const versionDir = path.join(modelDir, `version-${v.version}`);
        write(path.join(versionDir, 'meta.yaml'), toYaml(modelVersionMeta(v, runId)));
        writeKeys(path.join(versionDir, 'tags'), modelVersionTags(v));
      }
    }
  });
  return { outDir: root, experiments: experiments.length + 1, runs: runCount, models: models.length, versions: versionCount, missingArtifacts: missing };
}

/** Copies (or links) a run's artifacts under its `artifacts/` directory; returns the ones that are gone. */
function placeArtifacts(run: RunDetail, dest: string, opts: MlflowExportOptions): string[] {
  const mode = opts.artifacts ?? 'copy';
  if (mode === 'none') return [];
  const base = path.resolve(opts.artifactRoot ?? process.cwd());
  const missing: string[] = [];
  for (const a of run.artifacts) {
    const src = path.isAbsolute(a.path) ? a.path : path.resolve(base, a.path);
    const rel = path.isAbsolute(a.path) || path.normalize(a.path).startsWith('..') ? path.basename(a.path) : path.normalize(a.path);
    if (!fs.existsSync(src)) {
      missing.push(`${run.runId}: ${src}`);
      continue;
    }
    const target = path.join(dest, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (mode === 'symlink') fs.symlinkSync(src, target);
    else fs.cpSync(src, target, { recursive: true });
  }
  return missing;
}
