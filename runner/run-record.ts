/**
 * Each `run` keeps its record under outputs/logs/: the console output plus debug detail, and the resolved,
 * validated pipeline (after interpolation, overrides and defaults), so any result traces to its exact config.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { PipelineConfig } from './config/pipeline-config.ts';
import { writeFileAtomic } from './fs-atomic.ts';

export interface RunRecord {
  readonly id: string;
  readonly logFile: string;
  readonly configFile: string;
}

export function createRunRecord(config: PipelineConfig, logsDir: string, argv: readonly string[]): RunRecord {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const id = `${stamp}-${config.name}-${process.pid}`;
  fs.mkdirSync(logsDir, { recursive: true });
  const configFile = path.join(logsDir, `${id}.pipeline.yaml`);
  const header = [
    `# Resolved pipeline for run ${id}`,
    `# source: ${config.file}`,
    `# command: ${argv.join(' ')}`,
    `# sha256 of the resolved config: ${config.hash}`,
    '',
  ].join('\n');
  writeFileAtomic(configFile, header + stringify(config.resolved));
  return { id, logFile: path.join(logsDir, `${id}.log`), configFile };
}
