/**
 * Writes `schemas/pipeline.schema.json` from the step and section registry (`steps/index.ts`), the same schema the
 * runner validates with, so editors (yaml-language-server, see the first line of pipelines/food101.yaml) check and
 * complete pipeline files. Usage: `node --import tsx scripts/gen-schema.ts [--check]`.
 */
import path from 'node:path';
import { pipelineSchema } from '../runner/config/schema.ts';
import { registry } from '../steps/index.ts';
import { emit, isMain, orderSchemaKeys, repoRoot } from './gen-output.ts';

export const schemaFile = path.join(repoRoot, 'schemas', 'pipeline.schema.json');
export const schemaFixCommand = 'npm run gen:schema';

/** The file's exact content: pretty JSON, keywords in a fixed order, a final newline. */
export function renderSchema(): string {
  return `${JSON.stringify(orderSchemaKeys(pipelineSchema(registry)), null, 2)}\n`;
}

if (isMain(import.meta.url)) {
  const ok = emit(schemaFile, renderSchema(), { check: process.argv.includes('--check'), fixCommand: schemaFixCommand });
  if (!ok) process.exitCode = 1;
}
