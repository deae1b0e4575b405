/** `pipeline data list | show <version> | diff <a> <b>`: the dataset versions the split stage recorded. */
import type { Command } from 'commander';
import { printJson, terminal } from '../../../runner/cli/shared.ts';
import { table, when } from '../../../runner/cli/table.ts';
import { UsageError } from '../../../runner/errors.ts';
import type { Product } from '../../../runner/services.ts';
import type { DataSplit, DatasetVersion } from '../../../stores/data-version-store.ts';
import { storeOptions, withStores, type StoreFlags } from '../with-stores.ts';
import { labelPrediction } from './data-label.ts';

const versionJson = (v: DatasetVersion) => ({ ...v, createdAt: new Date(v.createdAt).toISOString() });
const REF = "a dataset version: its name, the 8-hex suffix of the name, a manifest-hash prefix, or 'latest'";

export function dataCommand(program: Command, product: Product): void {
  const data = program.command('data').description('Dataset versions: one per split of the data, with every image, its class, sha256, split and fold.');

  storeOptions(data.command('list').description('List recorded dataset versions, newest first.').option('--json', 'print JSON')).action(
    (opts: StoreFlags & { json?: boolean }) =>
      withStores(product, opts, async (stores) => {
        const versions = await stores.dataVersions.list();
        if (opts.json) return printJson(versions.map(versionJson));
        if (!versions.length) return void process.stdout.write('no dataset versions yet: run the pipeline through its split stage\n');
        process.stdout.write(
          table(
            ['version', 'classes', 'train', 'test', 'folds', 'excluded', 'created', 'source'],
            versions.map((v) => [v.version, String(v.classes.length), String(v.counts.train), String(v.counts.test), String(v.folds), String(v.excluded.length), when(v.createdAt), v.sourceRoot]),
          ),
        );
      }),
  );

  storeOptions(
    data
      .command('show')
      .description('One dataset version: source, subset, counts per class and split; --images lists the images.')
      .argument('<version>', REF)
      .option('--images', 'list the images (path, class, split, fold, sha256)')
      .option('--split <split>', 'with --images: train or test')
      .option('--class <name>', 'with --images: one class')
      .option('--json', 'print JSON'),
  ).action((ref: string, opts: StoreFlags & { json?: boolean; images?: boolean; split?: string; class?: string }) =>
    withStores(product, opts, async (stores) => {
      if (opts.split !== undefined && opts.split !== 'train' && opts.split !== 'test') throw new UsageError(`--split ${opts.split}: expected train or test`);
      const v = await stores.dataVersions.get(ref);
      if (!v) throw new UsageError(`no dataset version '${ref}': see \`pipeline data list\``);
      const images = opts.images ? await stores.dataVersions.images(v.version, { split: opts.split as DataSplit | undefined, className: opts.class }) : undefined;
      if (opts.json) return printJson({ ...versionJson(v), ...(images ? { images } : {}) });
      const out = process.stdout;
      out.write(`${v.version}\n  manifests sha256 ${v.manifestHash}\n  source ${v.sourceRoot} (${v.layout})\n  subset ${JSON.stringify(v.subset)}\n`);
      out.write(`  ${v.counts.train} train / ${v.counts.test} test images, ${v.classes.length} classes, ${v.folds} folds, recorded ${when(v.createdAt)}\n\n`);
      out.write(table(['class', 'train', 'test'], v.classes.map((c) => [c, String(v.counts.perClass[c]?.train ?? 0), String(v.counts.perClass[c]?.test ?? 0)])));
      if (v.excluded.length) out.write(`\nexcluded:\n${v.excluded.map((e) => `  ${e.path}: ${e.reason}`).join('\n')}\n`);
      if (images) out.write(`\n${table(['path', 'class', 'split', 'fold', 'sha256'], images.map((i) => [i.path, i.className, i.split, i.fold === null ? '-' : String(i.fold), i.sha256.slice(0, 16)]))}`);
    }),
  );

  storeOptions(
    data
      .command('diff')
      .description('What changed from one dataset version to another, by photo content: added, removed and relabelled images.')
      .argument('<from>', REF)
      .argument('<to>', REF)
      .option('--json', 'print JSON'),
  ).action((from: string, to: string, opts: StoreFlags & { json?: boolean }) =>
    withStores(product, opts, async (stores) => {
      const d = await stores.dataVersions.diff(from, to);
      if (opts.json) return printJson(d);
      const c = terminal().color;
      const out = process.stdout;
      out.write(`${d.from} -> ${d.to}: ${d.added.length} added, ${d.removed.length} removed, ${d.relabelled.length} relabelled, ${d.unchanged} unchanged\n`);
      for (const i of d.added) out.write(`${c.green('+')} ${i.path}  ${i.className} (${i.split})\n`);
      for (const i of d.removed) out.write(`${c.red('-')} ${i.path}  ${i.className} (${i.split})\n`);
      for (const r of d.relabelled) out.write(`${c.yellow('~')} ${r.path}  ${r.from} -> ${r.to}${r.fromPath !== r.path ? ` (was ${r.fromPath})` : ''}\n`);
    }),
  );

  storeOptions(
    data
      .command('label')
      .description('Give a logged prediction (and its captured upload, if any) its true class: recorded as feedback, used by feedback_accuracy and by relabelling.')
      .argument('<request_id>', 'the request id /predict answered with (X-Request-Id)')
      .argument('<class>', "one of the model's class names")
      .option('--captured <dir>', 'where capture keeps uploads (monitoring.capture.dir)', 'data/captured')
      .option('--by <name>', 'who labelled it', process.env.USER ?? 'cli'),
  ).action((requestId: string, cls: string, opts: StoreFlags & { captured: string; by: string }) =>
    withStores(product, opts, async (stores) => {
      const out = await labelPrediction(stores, { requestId, label: cls, capturedDir: opts.captured, by: opts.by });
      process.stdout.write(`labelled ${requestId} (${out.model} v${out.version}, predicted ${out.predicted ?? '-'}) as ${cls}${out.capture ? `; capture ${out.capture} updated` : ''}\n`);
    }),
  );
}
