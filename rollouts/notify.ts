/**
 * Notifications of rollout events (rolled back, promoted, paused, ...): a seam. Each event is logged as one line;
 * other sinks (a webhook, a file; see the monitoring notifiers) plug in as more `Notifier`s.
 */
export interface RolloutNotice {
  readonly modelName: string;
  readonly rolloutId: string;
  readonly kind: string;
  readonly message: string;
  readonly ts: number;
}

export type Notifier = (n: RolloutNotice) => void | Promise<void>;

/** One log line per notice. */
export function logNotifier(log: { info(m: string): void; warn(m: string): void }): Notifier {
  return (n) => {
    const line = `rollout ${n.modelName} (${n.rolloutId.slice(0, 8)}): ${n.kind}: ${n.message}`;
    if (n.kind === 'rolled_back' || n.kind === 'paused' || n.kind === 'aborted') log.warn(line);
    else log.info(line);
  };
}

/** Calls every notifier; a failing one is reported through `onError`, never thrown at the controller. */
export function fanOut(notifiers: readonly Notifier[], onError: (err: unknown) => void = () => {}): Notifier {
  return async (n) => {
    await Promise.all(notifiers.map(async (f) => {
      try {
        await f(n);
      } catch (err) {
        onError(err);
      }
    }));
  };
}

/** Events worth telling a person about (steps and measurements go to the store only). */
export const NOTIFIED_KINDS: ReadonlySet<string> = new Set(['started', 'paused', 'resumed', 'promoted', 'rolled_back', 'aborted', 'concluded', 'promotion_refused']);
