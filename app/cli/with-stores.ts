/** Opens the stores for a CLI command (`--store`, `--pipeline`, MLOPS_STORE_URL; see app/store-location.ts), closing them afterwards. */
import type { Command } from 'commander';
import { DEFAULT_PIPELINE, load } from '../../runner/cli/shared.ts';
import type { Product } from '../../runner/services.ts';
import { openStores, type Stores } from '../../stores/index.ts';
import { storeForFlags, type StoreChoice } from '../store-location.ts';

export interface StoreFlags {
  store?: string;
  pipeline?: string;
}

export function storeOptions(cmd: Command): Command {
  return cmd
    .option('--store <url>', 'store URL: sqlite:<file>, a .db path, or postgres://user:pass@host:5432/db (default: the pipeline\'s store.url, else $MLOPS_STORE_URL, else experiments/mlops.db)')
    .option('-p, --pipeline <file>', `pipeline file whose store to use (default: ${DEFAULT_PIPELINE} when it exists)`);
}

export function chooseStore(product: Product, flags: StoreFlags): Promise<StoreChoice> {
  return storeForFlags(flags, (file) => load(product.registry, file), DEFAULT_PIPELINE);
}

/**
 * Runs `fn` with the stores open. `create: false` (read commands): a SQLite file that does not exist is an
 * error naming it, not a new empty database.
 */
export async function withStores<T>(product: Product, flags: StoreFlags, fn: (stores: Stores) => Promise<T> | T, opts: { create?: boolean } = {}): Promise<T> {
  const choice = await chooseStore(product, flags);
  const stores = await openStores({ url: choice.location, registryDir: choice.registryDir, mustExist: !(opts.create ?? false) });
  try {
    return await fn(stores);
  } finally {
    await stores.close();
  }
}
