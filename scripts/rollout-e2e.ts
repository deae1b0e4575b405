/**
 * Rollouts end to end with models the pipeline trained (README "Rolling out a new model", BENCHMARKS.md):
 *
 *   node --import tsx scripts/rollout-e2e.ts [--work /tmp/rollout-e2e] [--port 18100] [--concurrency 4]
 *        [--good stages.grid.with.params.label_smoothing=[0.1]] [--bad stages.grid.with.params.epochs=[1] --bad ...]
 *
 * In the work directory (pipelines/food101.yaml = the project's default pipeline, mini data set):
 *  1. the champion: `pipeline run pipelines/food101.yaml --until register` (skipped when there is one);
 *  2. a good challenger: the same pipeline with `--set` overrides (`--good`, default: label smoothing 0.1, which
 *     beats the champion's test accuracy on the mini set; the registry gate wants it strictly better, so a
 *     challenger that is only as good pauses for a person at the promote step);
 *  3. `pipeline serve`, then `pipeline rollout start food101 --strategy canary` (default steps) and traffic with
 *     feedback from the test split until the rollout ends (expected: promoted);
 *  4. a bad challenger: one epoch at a learning rate of 1e-6 (`--bad`), its canary (expected: rolled back);
 *  5. shadow of the previous champion: agreement and latency against the stable model, and every answer a
 *     client got compared byte for byte with the stable model's answer to the same photo before the rollout;
 *  6. A/B 50/50 of the previous champion: split, per-variant accuracy with its interval, the decision.
 * Every `pipeline rollout status` is saved under `<work>/e2e-logs/`; the summary goes to `<work>/e2e-summary.json`.
 * The server keeps running through all of it: the failed-request count covers the whole run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeTraffic, sendTraffic, splitPhotos, type Photo, type TrafficResult } from './rollout-traffic.ts';
import { stopServer, Workspace } from './rollout-e2e-workspace.ts';

const { values } = parseArgs({
  options: {
    work: { type: 'string', default: path.join(os.tmpdir(), 'rollout-e2e') },
    port: { type: 'string', default: '18100' },
    concurrency: { type: 'string', default: '4' },
    max: { type: 'string', default: '3000' },
    good: { type: 'string', multiple: true, default: ['stages.grid.with.params.label_smoothing=[0.1]'] },
    bad: { type: 'string', multiple: true, default: ['stages.grid.with.params.epochs=[1]', 'stages.grid.with.params.lr=[1.0e-6]'] },
  },
});
const ws = new Workspace(values.work!, Number(values.port));
const say = (m: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
const sets = (list: readonly string[]) => list.flatMap((s) => ['--set', s]);
const summary: Record<string, unknown> = { machine: `${os.cpus().length} x ${os.cpus()[0]?.model}`, work: ws.dir };
let failedTotal = 0;

function register(label: string, overrides: readonly string[]): number {
  const before = new Set(ws.versions().map((v) => v.version));
  const t0 = Date.now();
  ws.pipeline(['run', 'pipelines/food101.yaml', '--until', 'register', ...sets(overrides)], `train-${label}`);
  const out = fs.readFileSync(path.join(ws.logs, `train-${label}.log`), 'utf8');
  // A second run of the script finds its models registered already (every stage cached): it reuses them.
  const again = /already registered as food101 v(\d+)/.exec(out)?.[1];
  const v = ws.versions().find((x) => (again ? x.version === Number(again) : !before.has(x.version)));
  if (!v) throw new Error(`${label}: the run registered no new version: change the overrides (${overrides.join(' ')})`);
  say(`${label}: registered v${v.version} (${v.aliases.join(', ')}), test.accuracy ${v.metrics['test.accuracy']} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  summary[label] = { version: v.version, overrides, testAccuracy: v.metrics['test.accuracy'] };
  return v.version;
}

interface Status { id: string; phase: string; report: { variants: { variant: string; requests: number; errors: number; latencyP99Ms: number | null; feedbackAccuracy: number | null; labelled: number; agreement: number | null; paired: number }[]; ab?: unknown; candidateShare?: number } | null; events: { kind: string; message: string }[] }

/** `rollout start`, traffic until it ends, then its status (text saved, JSON returned). */
async function rollout(label: string, args: readonly string[], photos: readonly Photo[], onAnswer?: Parameters<typeof sendTraffic>[0]['onAnswer']): Promise<{ status: Status; traffic: TrafficResult }> {
  say(`${label}: ${ws.pipeline(['rollout', 'start', 'food101', ...args], `${label}-start`).trim()}`);
  const id = (JSON.parse(ws.pipeline(['rollout', 'status', 'food101', '--json'], `${label}-status-json`)) as Status).id;
  await new Promise((r) => setTimeout(r, 2500)); // the server reads the rollout within its poll (poll_ms 2000)
  const traffic = await sendTraffic({ url: ws.url, photos, max: Number(values.max), concurrency: Number(values.concurrency), rolloutId: id, userPrefix: label, onAnswer, onProgress: (l) => say(`${label}: ${l}`) });
  failedTotal += traffic.failed;
  // The last poll may still be writing the final state: wait until the stored rollout has ended.
  let status = JSON.parse(ws.pipeline(['rollout', 'status', 'food101', '--json'], `${label}-status-json`)) as Status;
  for (let i = 0; i < 20 && status.phase === 'progressing'; i++) {
    await new Promise((r) => setTimeout(r, 500));
    status = JSON.parse(ws.pipeline(['rollout', 'status', 'food101', '--json'], `${label}-status-json`)) as Status;
  }
  const text = ws.pipeline(['rollout', 'status', 'food101'], `${label}-status`);
  say(`${label}: ${describeTraffic(traffic)}\n${text}`);
  summary[label] = { ...(summary[label] as object), rollout: id, phase: status.phase, traffic: { answered: traffic.answered, failed: traffic.failed, seconds: traffic.seconds, byVariant: Object.fromEntries(traffic.byVariant), failures: traffic.failures.slice(0, 5) }, report: status.report, events: status.events.map((e) => `${e.kind}: ${e.message}`) };
  return { status, traffic };
}

if (ws.aliases().champion === undefined) register('champion', []);
const champion = ws.aliases().champion!;
summary.champion = { ...(summary.champion as object), version: champion, testAccuracy: ws.versions().find((v) => v.version === champion)?.metrics['test.accuracy'] };
const good = register('good', values.good!);
const dataDir = ws.env.FOOD101_DIR!;
const splitDir = fs.readdirSync(path.join(ws.dir, 'data', 'processed')).map((d) => path.join(ws.dir, 'data', 'processed', d)).find((d) => fs.existsSync(path.join(d, 'test.csv')))!;
const photos = splitPhotos(path.join(splitDir, 'test.csv'), dataDir);
say(`traffic: the ${photos.length} test-split photos (${splitDir}), ${values.concurrency} requests in flight, feedback = the true class`);
const server = await ws.serve();
try {
  const g = await rollout('canary-good', ['--strategy', 'canary'], photos);
  summary['canary-good'] = { ...(summary['canary-good'] as object), aliasesAfter: ws.aliases() };
  if (g.status.phase !== 'promoted') say(`canary-good: ended ${g.status.phase}, not promoted (see the events above)`);

  const stable = ws.aliases().champion!;
  const bad = register('bad', values.bad!);
  const b = await rollout('canary-bad', ['--strategy', 'canary'], photos);
  summary['canary-bad'] = { ...(summary['canary-bad'] as object), aliasesAfter: ws.aliases(), championUntouched: ws.aliases().champion === stable };

  // Shadow: the answers clients get must be the stable model's. Take its answer to a set of photos first.
  const reference = new Map<string, string>();
  const pick = (body: string) => JSON.stringify((JSON.parse(body) as { predictions: unknown }).predictions);
  const probe = photos.slice(0, 60);
  failedTotal += (await sendTraffic({ url: ws.url, photos: probe, max: probe.length, onAnswer: (p, body, h) => reference.set(p.file, `${h.get('x-model-version')} ${pick(body)}`) })).failed;
  let compared = 0, differed = 0;
  const other = ws.versions().find((v) => v.aliases.includes('prev_champion'))?.version ?? champion;
  const s = await rollout('shadow', ['--strategy', 'shadow', '--version', String(other)], photos, (p, body, h) => {
    const ref = reference.get(p.file);
    if (ref === undefined) return;
    compared++;
    if (ref !== `${h.get('x-model-version')} ${pick(body)}`) differed++;
  });
  summary.shadow = { ...(summary.shadow as object), candidate: other, answersCompared: compared, answersDiffering: differed };
  say(`shadow: ${compared} answers compared with the stable model's answers before the rollout: ${differed} differ`);

  const ab = await rollout('ab', ['--strategy', 'ab', '--version', String(other)], photos);
  summary.ab = { ...(summary.ab as object), candidate: other };
  summary.result = {
    failedRequests: failedTotal,
    goodPromoted: g.status.phase === 'promoted',
    badRolledBack: b.status.phase === 'rolled_back' && ws.aliases().champion === stable && ws.aliases().rejected === bad,
    shadowIdentical: compared > 0 && differed === 0,
    shadowPhase: s.status.phase,
    abPhase: ab.status.phase,
  };
} finally {
  await stopServer(server);
  summary.loadAverage = os.loadavg().map((l) => Number(l.toFixed(2)));
  fs.writeFileSync(path.join(ws.dir, 'e2e-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
}
say(`done: ${JSON.stringify(summary.result)}; failed requests over the whole run: ${failedTotal}; summary: ${path.join(ws.dir, 'e2e-summary.json')}`);
