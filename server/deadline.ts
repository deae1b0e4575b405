/**
 * A request's deadline: `race(p)` rejects with 503 DEADLINE_EXCEEDED when the deadline passes first, and `signal`
 * aborts then, so queued work (a batcher slot) is withdrawn. Work already running is not awaited, but whoever
 * owns its memory waits for it to settle before reusing it (see predictor.ts).
 */
import { HttpError } from './errors.ts';

export class Deadline {
  readonly #controller = new AbortController();
  readonly #expired: Promise<never>;
  #timer: NodeJS.Timeout | undefined;
  readonly at: number;

  /** `at` is a `performance.now()` time; `budgetMs` names the limit in the error. */
  constructor(at: number, budgetMs: number) {
    this.at = at;
    this.#expired = new Promise<never>((_, reject) => {
      this.#timer = setTimeout(() => {
        const err = new HttpError(503, 'DEADLINE_EXCEEDED', `the request took longer than its ${budgetMs} ms deadline; retry shortly`, { headers: { 'Retry-After': '1' } });
        this.#controller.abort(err);
        reject(err);
      }, Math.max(0, at - performance.now()));
    });
    this.#expired.catch(() => {});
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Ms left (0 when past). */
  remaining(): number {
    return Math.max(0, this.at - performance.now());
  }

  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.#expired]);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}
