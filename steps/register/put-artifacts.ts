/**
 * The register step's seam to the artifact store: the exported model's files go to `artifacts.url`, and the
 * record of their URIs and digests goes into the version's lineage, from which any server can fetch them.
 */
import { openArtifactStore, putModelFiles, type ModelArtifacts } from '../../artifacts/index.ts';
import type { StepContext } from '../../runner/context.ts';
import type { ArtifactsSection } from '../sections/artifacts.ts';

export async function putExportedModel(ctx: StepContext, section: ArtifactsSection, model: string, dir: string): Promise<ModelArtifacts> {
  const store = await openArtifactStore(section.url, { workdir: ctx.paths.workdir, env: process.env });
  try {
    const artifacts = await putModelFiles(store, { model, dir });
    const total = Object.values(artifacts.files).reduce((n, f) => n + f.bytes, 0);
    ctx.log.info(`model files (${Object.keys(artifacts.files).join(', ')}, ${(total / 1e6).toFixed(1)} MB) put into ${store.url}`);
    return artifacts;
  } finally {
    await store.close();
  }
}
