/**
 * Notifications of rollout events (started, rolled back, promoted, paused for a person, ...). They go to the sinks
 * the pipeline file configures for monitoring alerts (`serve.with.monitoring.notify`: webhook, JSONL file, log;
 * monitor/sinks.ts), so a person hears about a rolled-back model where they hear about drift.
 */
import type { AlertSink, Notice } from '../monitor/sinks.ts';

export interface RolloutNotice {
  readonly modelName: string;
  readonly rolloutId: string;
  readonly kind: string;
  readonly message: string;
  readonly ts: number;
}

export type Notifier = (n: RolloutNotice) => void | Promise<void>;

/** Kinds a person should act on or know went wrong: logged as warnings. */
const WARN_KINDS: ReadonlySet<string> = new Set(['rolled_back', 'paused', 'aborted', 'promotion_refused']);

/** The notice a sink delivers: `event: "rollout"` tells it apart from a monitoring alert (`fire`/`clear`). */
export function rolloutNotice(n: RolloutNotice): Notice {
  return {
    what: `rollout ${n.rolloutId.slice(0, 8)} event ${n.kind}`,
    body: { event: 'rollout', kind: n.kind, model: n.modelName, rollout_id: n.rolloutId, ts: new Date(n.ts).toISOString(), message: n.message, command: `pipeline rollout status ${n.modelName}` },
    line: `rollout ${n.modelName} (${n.rolloutId.slice(0, 8)}): ${n.kind}: ${n.message}`,
    level: WARN_KINDS.has(n.kind) ? 'warn' : 'info',
  };
}

/**
 * Sends each notice to every sink in the background: a webhook that retries for seconds must not hold up the
 * controller's tick (routing waits on it) or a person's request; `settled()` waits for what is in flight (a CLI
 * command before it exits, a test). A failing sink is reported through `onError`, never thrown.
 */
export function sinkNotifier(sinks: readonly AlertSink[], onError: (message: string) => void): Notifier & { settled(): Promise<void> } {
  const pending = new Set<Promise<void>>();
  const send = async (notice: Notice, s: AlertSink): Promise<void> => {
    try {
      await s.post(notice);
    } catch (err) {
      onError(`rollout notification: sink ${s.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const notifier = (n: RolloutNotice): void => {
    const notice = rolloutNotice(n);
    for (const s of sinks) {
      const p = send(notice, s).finally(() => pending.delete(p));
      pending.add(p);
    }
  };
  return Object.assign(notifier, { settled: async () => void (await Promise.all([...pending])) });
}

/** Events worth telling a person about (steps and measurements go to the store only). */
export const NOTIFIED_KINDS: ReadonlySet<string> = new Set(['started', 'paused', 'resumed', 'promoted', 'rolled_back', 'aborted', 'concluded', 'promotion_refused']);
