/** The composition root's services for one pipeline run: the stores the pipeline names, opened and migrated. */
import type { PipelineConfig } from '../runner/config/pipeline-config.ts';
import type { OpenedServices } from '../runner/services.ts';
import { openStores } from '../stores/index.ts';
import { storeForPipeline } from './store-location.ts';

export async function openServices(config: PipelineConfig): Promise<OpenedServices> {
  const choice = storeForPipeline(config);
  const stores = await openStores({ url: choice.location, registryDir: choice.registryDir });
  return {
    stores,
    hasher: stores.fileHashes,
    clock: Date.now,
    describe: `${stores.target} (from ${choice.from})`,
    close: () => stores.close(),
  };
}
