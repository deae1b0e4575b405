import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { PipelineConfig } from '../../../runner/config/pipeline-config.ts';
import type { Product } from '../../../runner/services.ts';
import { resolveOptions } from '../../../platform/k8s/options.ts';
import { renderManifests } from '../../../platform/k8s/render.ts';
import { writeTree } from '../../../platform/k8s/write-tree.ts';
import { collect, load, overridesFrom, terminal } from '../../../runner/cli/shared.ts';

interface RenderCliFlags {
  out: string;
  image?: string;
  serveImage?: string;
  gpuImage?: string;
  namespace?: string;
  shards?: string;
  set?: string[];
}

/** The version in package.json: the default image tag. */
function packageVersion(): string {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

/** Loads and validates a pipeline file with `--set` overrides (the product's registry is the caller's business). */
export type ConfigLoader = (file: string, sets?: readonly string[]) => Promise<PipelineConfig>;

/** `pipeline k8s ...` with the CLI's own pipeline loader and the product's steps. */
export function k8sCommand(program: Command, product: Product): void {
  addK8sCommand(program, (file, sets) => load(product.registry, file, sets));
}

/** `pipeline k8s render`: Kubernetes manifests (a kustomize base, training Jobs, components, dev/prod overlays). */
export function addK8sCommand(program: Command, loadConfig: ConfigLoader): void {
  const k8s = program.command('k8s').description('Kubernetes deployment of a pipeline (docs/deployment.md).');
  k8s
    .command('render')
    .description('Write Kubernetes manifests for a pipeline file: a kustomize base, the training Jobs, optional components, dev and prod overlays.')
    .argument('<file>', 'pipeline file (YAML)')
    .option('--out <dir>', 'output directory (replaced as a whole; must be empty or rendered before)', 'k8s')
    .option('--image <ref>', 'training image with a tag or digest, never latest (default food101-train:<package version>)')
    .option('--serve-image <ref>', 'serving image (default: --image with food101-train replaced by food101-serve)')
    .option('--gpu-image <ref>', 'GPU build of the training image; with it, shard pods request resources.gpu nvidia.com/gpu')
    .option('--namespace <ns>', 'namespace (default: the pipeline name)')
    .option('--shards <n>', 'completions and parallelism of the Indexed training Job (default: the train stage\'s with.shards, 3)')
    .option('--set <key=value>', 'override a key of the pipeline file (repeatable)', collect)
    .action(async (file: string, flags: RenderCliFlags) => {
      const config = await loadConfig(file, flags.set);
      const shards = config.stages.find((s) => s.step.name === 'train')?.params.shards;
      const options = resolveOptions(flags, { name: config.name, version: packageVersion(), shards: typeof shards === 'number' ? shards : undefined });
      const overriddenPaths = overridesFrom(flags.set).map((o) => o.path.join('.'));
      const tree = renderManifests({ config, options, overriddenPaths });
      await writeTree(flags.out, tree);
      const c = terminal().color;
      process.stdout.write(`${c.green('✓')} ${tree.size} files in ${flags.out}/ (namespace ${options.namespace}, ${options.shards} shards): kubectl apply -k ${flags.out}/overlays/dev\n`);
    });
}
