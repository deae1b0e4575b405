/**
 * Alert hysteresis: a small state machine per (model, detector), so a score that flaps around its threshold does
 * not spam the sinks. An alert fires after `fireAfter` consecutive drifted windows and clears after `clearAfter`
 * consecutive clean ones. The state is plain JSON, kept by the caller (the store) between windows.
 */

/** State between windows. */
export interface AlertState {
  readonly status: 'ok' | 'alerting';
  /** Consecutive drifted windows (while ok) or clean windows (while alerting). */
  readonly streak: number;
}

/** What one window did to the alert. */
export type AlertEvent = 'fire' | 'clear' | null;

/** The state before any window. */
export const INITIAL_ALERT_STATE: AlertState = Object.freeze({ status: 'ok', streak: 0 });

/** Advances the state by one window's verdict. */
export function stepAlert(state: AlertState, drifted: boolean, cfg: { fireAfter: number; clearAfter: number }): { state: AlertState; event: AlertEvent } {
  if (state.status === 'ok') {
    const streak = drifted ? state.streak + 1 : 0;
    return streak >= cfg.fireAfter ? { state: { status: 'alerting', streak: 0 }, event: 'fire' } : { state: { status: 'ok', streak }, event: null };
  }
  const streak = drifted ? 0 : state.streak + 1;
  return streak >= cfg.clearAfter ? { state: { status: 'ok', streak: 0 }, event: 'clear' } : { state: { status: 'alerting', streak }, event: null };
}
