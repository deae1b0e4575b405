import type { Command } from 'commander';
import { terminal } from '../../../runner/cli/shared.ts';
import type { Product } from '../../../runner/services.ts';
import { storeOptions, withStores, type StoreFlags } from '../with-stores.ts';

export function storeCommand(program: Command, product: Product): void {
  const store = program.command('store').description('The database behind tracking, registry, features and predictions (SQLite or PostgreSQL).');
  storeOptions(
    store
      .command('migrate')
      .description('Create the store if needed and apply pending schema migrations (every command also does this when it opens the store).'),
  ).action((opts: StoreFlags) =>
    withStores(product, opts, (stores) => {
      const c = terminal().color;
      if (stores.migrated.applied.length === 0) return void process.stdout.write(`${c.green('✓')} ${stores.target} is up to date\n`);
      process.stdout.write(`${c.green('✓')} ${stores.target}: applied ${stores.migrated.applied.length} migrations\n${stores.migrated.applied.map((m) => `  ${m}`).join('\n')}\n`);
    }, { create: true }),
  );
}
