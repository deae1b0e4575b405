/**
 * The serving fuzz test, longer (not part of `npm test`): same property as tests/server/fuzz.test.ts, more runs,
 * a fresh seed unless given (printed, so a failure can be replayed with --seed).
 *
 *   node --import tsx scripts/fuzz-serve.ts [--runs 2000] [--seed 123]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '2000' }, seed: { type: 'string' } } });
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
console.log(`fuzz-serve: ${values.runs} runs, seed ${seed} (replay: --seed ${seed})`);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-timeout=0', path.join(root, 'tests/server/fuzz.test.ts')], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: values.runs, FUZZ_SEED: seed },
});
process.exit(r.status ?? 1);
