/** `pipeline rollout status` as text: phase, variants, steps, per-variant metrics, the A/B decision, events. */
import type { RolloutStatus } from './control.ts';
import { describeAb } from './controller.ts';

const time = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().slice(11, 19));
const num = (x: number | null | undefined, d = 4) => (x === null || x === undefined ? '-' : String(Number(x.toPrecision(d))));

function pad(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

export function formatStatus(s: RolloutStatus): string {
  const out: string[] = [];
  const step = s.steps[s.currentStep];
  out.push(`${s.modelName}: ${s.strategy} rollout ${s.id.slice(0, 8)}, v${s.candidateVersion} against champion v${s.stableVersion}`);
  out.push(`phase ${s.phase}${step ? `, step ${s.currentStep + 1}/${s.steps.length} (${step.label})` : ''}${s.pausedReason ? ` -- ${s.pausedReason}` : ''}`);
  out.push('');
  out.push('variants');
  out.push(...pad([['  variant', 'alias', 'version', 'role', 'weight'], ...s.variants.map((v) => [`  ${v.variant}`, v.alias ?? '-', `v${v.version}`, v.role, `${v.weight}%`])]));
  out.push('');
  out.push('steps');
  for (const st of s.steps) {
    const mark = st.finishedAt !== null ? 'done' : st.index === s.currentStep && (s.phase === 'progressing' || s.phase === 'paused') ? 'now ' : '    ';
    out.push(`  ${mark} ${String(st.index + 1).padStart(2)} ${st.label.padEnd(24)} ${time(st.startedAt)}${st.finishedAt !== null ? ` -> ${time(st.finishedAt)}` : ''}`);
  }
  if (s.report) {
    out.push('');
    out.push(`metrics since the start${s.report.candidateShare !== undefined ? ` (candidate answered ${num(s.report.candidateShare * 100, 3)}% of requests)` : ''}`);
    out.push(...pad([
      ['  variant', 'requests', 'errors', 'p99 ms', 'confidence', 'accuracy', 'labelled', 'agreement', 'paired'],
      ...s.report.variants.map((v) => [`  ${v.variant}`, String(v.requests), String(v.errors), num(v.latencyP99Ms), num(v.meanConfidence), num(v.feedbackAccuracy), String(v.labelled), v.variant === s.variants[0]?.variant ? '-' : num(v.agreement), v.variant === s.variants[0]?.variant ? '-' : String(v.paired)]),
    ]));
    if (s.report.ab) out.push('', `A/B: ${describeAb(s.report.ab)}`);
  }
  if (s.analysis.length) {
    out.push('');
    out.push('latest analysis');
    const last = s.analysis.filter((a) => a.ts === s.analysis.at(-1)!.ts);
    out.push(...pad([['  metric', 'variant', 'value', 'threshold', 'verdict'], ...last.map((a) => [`  ${a.metric}`, a.variant, num(a.value), a.threshold, a.verdict])]));
  }
  out.push('');
  out.push('events');
  for (const e of s.events) out.push(`  ${time(e.ts)} ${e.kind.padEnd(17)} ${e.actor.padEnd(10)} ${e.message}`);
  return `${out.join('\n')}\n`;
}
