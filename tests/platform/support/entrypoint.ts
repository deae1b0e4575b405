/** Runs the images' entry point in dry-run mode: the command it would exec, without running it. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../helpers/paths.ts';

export const entrypoint = path.join(repoRoot, 'platform', 'docker', 'entrypoint.sh');

export interface Resolved {
  readonly code: number | null;
  /** The command it would run, one word each. */
  readonly argv: string[];
  /** The `pipeline` CLI arguments when that command is the CLI. */
  readonly cli?: string[];
  readonly stderr: string;
}

export function resolveEntrypoint(args: readonly string[], env: Record<string, string> = {}): Resolved {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !['PIPELINE_FILE', 'PIPELINE_OVERRIDES', 'TRAIN_UNTIL', 'PORT', 'HOST', 'MODEL_NAME', 'MODEL_ALIAS', 'APP_DIR'].includes(k)),
  );
  const r = spawnSync('bash', [entrypoint, ...args], { env: { ...clean, ...env, ENTRYPOINT_DRY_RUN: '1' }, encoding: 'utf8' });
  const argv = r.stdout.split('\n').slice(0, -1);
  const cli = argv[0] === 'node' && argv[1] === path.join(repoRoot, 'bin', 'pipeline.js') ? argv.slice(2) : undefined;
  return { code: r.status, argv, cli, stderr: r.stderr };
}
