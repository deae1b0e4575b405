/** Opens the stores for a CLI command (store from --store / --pipeline), closing them afterwards. */
import type { Command } from 'commander';
import { openStores, type Stores } from '../../stores/index.ts';
import { storePaths } from './shared.ts';

export interface StoreFlags {
  store?: string;
  pipeline?: string;
}

export function storeOptions(cmd: Command): Command {
  return cmd
    .option('--store <file>', 'SQLite store (default: experiments/mlops.db of --pipeline)')
    .option('-p, --pipeline <file>', 'pipeline file whose experiments/ folder holds the store (default: pipelines/food101.yaml)');
}

export async function withStores<T>(flags: StoreFlags, fn: (stores: Stores) => Promise<T> | T): Promise<T> {
  const stores = openStores(await storePaths(flags));
  try {
    return await fn(stores);
  } finally {
    stores.close();
  }
}
