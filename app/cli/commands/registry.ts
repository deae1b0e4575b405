import fs from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_PIPELINE, load, printJson, terminal } from '../../../runner/cli/shared.ts';
import { fmt, table, when } from '../../../runner/cli/table.ts';
import { UsageError } from '../../../runner/errors.ts';
import type { Product } from '../../../runner/services.ts';
import { gateOptions, type Gate } from '../../../steps/register/gate.ts';
import type { ModelVersion } from '../../../stores/registry-types.ts';
import type { Stores } from '../../../stores/index.ts';
import { trainingData } from '../training-data.ts';
import { storeOptions, withStores, type StoreFlags } from '../with-stores.ts';

function versionJson(v: ModelVersion): unknown {
  return { ...v, createdAt: new Date(v.createdAt).toISOString() };
}

/** The gate of the pipeline's register stage (if the pipeline has one), overridable by flags. */
async function gateFor(product: Product, flags: StoreFlags & { metric?: string; minDelta?: string }): Promise<ReturnType<typeof gateOptions>> {
  let gate: Gate = { metric: 'test.accuracy', min_delta: 0 };
  const file = flags.pipeline ?? (fs.existsSync(DEFAULT_PIPELINE) ? DEFAULT_PIPELINE : undefined);
  if (file) {
    const register = (await load(product.registry, file)).stages.find((s) => s.step.name === 'register');
    if (register) gate = register.params.gate as Gate;
  }
  if (flags.metric) gate = { ...gate, metric: flags.metric, higher_is_better: undefined };
  if (flags.minDelta !== undefined) {
    const d = Number(flags.minDelta);
    if (!Number.isFinite(d)) throw new UsageError(`--min-delta ${flags.minDelta}: expected a number`);
    gate = { ...gate, min_delta: d };
  }
  return gateOptions(gate);
}

function parseRef(ref: string): { name: string; ref: string } {
  const at = ref.indexOf('@');
  return at < 0 ? { name: ref, ref: 'champion' } : { name: ref.slice(0, at), ref: ref.slice(at + 1) };
}

/** A model name that is not registered: say so and list the ones that are. */
async function requireModel(stores: Stores, name: string): Promise<void> {
  if (await stores.registry.hasModel(name)) return;
  const known = (await stores.registry.listModels()).map((m) => m.name);
  throw new UsageError(`there is no model '${name}' in the registry (${stores.target}); registered: ${known.join(', ') || 'none yet (run the pipeline through its register stage)'}`);
}

export function registryCommand(program: Command, product: Product): void {
  const registry = program.command('registry').description('The model registry: versions and aliases (champion, challenger, prev_champion).');
  storeOptions(registry.command('list').description('List registered models and their versions.').option('--json', 'print JSON')).action(
    (opts: StoreFlags & { json?: boolean }) =>
      withStores(product, opts, async (stores) => {
        // Two queries for the whole listing (models, versions), not one per model.
        const all = await stores.registry.listAllVersions();
        const models = (await stores.registry.listModels()).map((m) => ({ ...m, versions: all.filter((v) => v.name === m.name) }));
        if (opts.json) return printJson(models.map((m) => ({ ...m, versions: m.versions.map(versionJson) })));
        if (!models.length) return void process.stdout.write('no registered models yet: run the pipeline through its register stage\n');
        process.stdout.write(
          table(
            ['model', 'version', 'aliases', 'test.accuracy', 'test.macro_f1', 'created', 'sha256'],
            models.flatMap((m) => m.versions.map((v) => [m.name, `v${v.version}`, v.aliases.join(',') || '-', fmt(v.metrics['test.accuracy']), fmt(v.metrics['test.macro_f1']), when(v.createdAt), v.sha256.slice(0, 12)])),
          ),
        );
      }),
  );
  storeOptions(
    registry
      .command('show')
      .description('Show a version with its lineage and metrics.')
      .argument('<ref>', 'name, name@version or name@alias (default alias: champion)')
      .option('--photos', 'list the photos that trained it (path, class, sha256)')
      .option('--json', 'print JSON'),
  ).action((ref: string, opts: StoreFlags & { json?: boolean; photos?: boolean }) =>
    withStores(product, opts, async (stores) => {
      const { name, ref: which } = parseRef(ref);
      await requireModel(stores, name);
      const v = await stores.registry.resolve(name, which);
      if (!v) throw new UsageError(`no version '${which}' of model '${name}'; see \`pipeline registry list\``);
      const shown = { ...(versionJson(v) as object), dataset: await trainingData(stores, v, { photos: opts.photos === true }) };
      if (opts.json) return printJson(shown);
      process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    }),
  );
  storeOptions(
    registry
      .command('promote')
      .description('Promote the challenger to champion (the old champion becomes prev_champion), if it beats the champion.')
      .argument('<name>', 'model name')
      .option('--force', 'promote even if the gate refuses')
      .option('--metric <name>', "gate metric (default: the pipeline's register stage gate, else test.accuracy)")
      .option('--min-delta <x>', 'the challenger must beat the champion by more than this'),
  ).action(async (name: string, opts: StoreFlags & { force?: boolean; metric?: string; minDelta?: string }) => {
    const gate = await gateFor(product, opts);
    await withStores(product, opts, async (stores) => {
      await requireModel(stores, name);
      const r = await stores.registry.promote(name, { ...gate, force: opts.force });
      const c = terminal().color;
      const values = r.challengerValue !== undefined ? ` (${gate.metric}: ${fmt(r.challengerValue)} vs ${fmt(r.championValue)})` : '';
      process.stdout.write(`${c.green('✓')} ${name}: v${r.champion} is champion${r.prevChampion ? `, v${r.prevChampion} is prev_champion` : ''}${values}${r.forced ? ' [forced]' : ''}\n`);
    });
  });
  storeOptions(registry.command('rollback').description('Restore prev_champion as champion (the demoted one becomes challenger).').argument('<name>', 'model name')).action(
    (name: string, opts: StoreFlags) =>
      withStores(product, opts, async (stores) => {
        await requireModel(stores, name);
        const r = await stores.registry.rollback(name);
        process.stdout.write(`${terminal().color.green('✓')} ${name}: v${r.champion} is champion again${r.challenger ? `, v${r.challenger} is challenger` : ''}\n`);
      }),
  );
  storeOptions(
    registry.command('alias').description('Point an alias at a version.').argument('<name>', 'model name').argument('<alias>', 'alias, e.g. staging').argument('<version>', 'version number'),
  ).action((name: string, alias: string, version: string, opts: StoreFlags) =>
    withStores(product, opts, async (stores) => {
      const n = Number(version.replace(/^v/, ''));
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`version '${version}': expected a version number such as 3`);
      await requireModel(stores, name);
      await stores.registry.setAlias(name, alias, n);
      process.stdout.write(`${terminal().color.green('✓')} ${name}@${alias} -> v${n}\n`);
    }),
  );
}
