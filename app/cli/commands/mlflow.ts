import path from 'node:path';
import type { Command } from 'commander';
import { terminal } from '../../../runner/cli/shared.ts';
import { UsageError } from '../../../runner/errors.ts';
import type { Product } from '../../../runner/services.ts';
import { exportMlflow } from '../../../stores/mlflow/index.ts';
import { storeOptions, withStores, type StoreFlags } from '../with-stores.ts';

export function mlflowCommand(program: Command, product: Product): void {
  const mlflow = program.command('mlflow').description('MLflow compatibility.');
  storeOptions(
    mlflow
      .command('export')
      .description("Write experiments, runs and registered models in MLflow's file-store layout (view with: mlflow ui --backend-store-uri <dir>).")
      .argument('<dir>', 'output directory (e.g. mlruns)')
      .option('--overwrite', 'replace the directory if it exists')
      .option('--artifacts <mode>', 'copy, symlink or none', 'copy'),
  ).action((dir: string, opts: StoreFlags & { overwrite?: boolean; artifacts: string }) => {
    if (!['copy', 'symlink', 'none'].includes(opts.artifacts)) throw new UsageError(`--artifacts ${opts.artifacts}: expected copy, symlink or none`);
    return withStores(product, opts, async (stores) => {
      const s = await exportMlflow(stores, path.resolve(dir), { overwrite: opts.overwrite, artifacts: opts.artifacts as 'copy' | 'symlink' | 'none' });
      process.stdout.write(`${terminal().color.green('✓')} ${s.experiments} experiments, ${s.runs} runs, ${s.models} models (${s.versions} versions) -> ${s.outDir}\n`);
      for (const m of s.missingArtifacts) process.stderr.write(`! artifact missing on disk: ${m}\n`);
    });
  });
}
