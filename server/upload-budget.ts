/**
 * One byte budget for every request body the process holds, so that memory is bounded for the whole process and
 * not only per request (256 in flight x 10 MB would be 2.5 GB). An upload counts by the bytes it holds (at least
 * `minReservationBytes`), from admission until its processing has really finished (a decode abandoned at the
 * deadline still holds its buffer until libvips lets go of it). It is admitted only if what it declares fits now,
 * so a body that cannot fit is refused before one byte is read; one that stops fitting while it streams (others
 * grew meanwhile) is refused then.
 *
 * Counting held bytes rather than declared ones means 300 uploads that declare 9 MB and stall after 1 KB hold
 * ~20 MB, not 2.7 GB, so they do not lock real requests out. Slow uploads cannot hold the budget hostage either: an
 * upload that has received nothing for `stallMs`, or averages under `minBytesPerSec`, is dropped when a new
 * request or a growing upload needs room.
 */

export interface BudgetOptions {
  readonly budgetBytes: number;
  /** Smallest reservation of an upload (one that declares nothing still costs a socket and parser state). */
  readonly minReservationBytes: number;
  readonly stallMs: number;
  readonly minBytesPerSec: number;
  /** Clock in ms (tests may pass their own). Default `performance.now`. */
  readonly now?: () => number;
}

/** A request's share of the budget. */
export interface UploadTicket {
  /** Bytes reserved now. */
  readonly reserved: number;
  /**
   * Records `n` more body bytes. Returns false when they do not fit (a body without Content-Length grew past what
   * the budget can give): the caller refuses the request.
   */
  received(n: number): boolean;
  /** The body is complete: from now on the ticket is never evicted. */
  complete(): void;
  /** Keep the reservation until `work` settles too (work that outlives the answer). */
  holdUntil(work: Promise<unknown>): void;
  /** Gives the bytes back once every held work has settled. Idempotent. */
  release(): void;
}

interface Entry {
  reserved: number;
  received: number;
  startedAt: number;
  lastByteAt: number;
  complete: boolean;
  evict: () => void;
}

export class UploadBudget {
  readonly #o: BudgetOptions;
  readonly #now: () => number;
  readonly #entries = new Set<Entry>();
  #used = 0;
  #evicted = 0;

  constructor(opts: BudgetOptions) {
    this.#o = opts;
    this.#now = opts.now ?? (() => performance.now());
  }

  /** Bytes reserved now, by every upload. */
  get used(): number {
    return this.#used;
  }

  get capacity(): number {
    return this.#o.budgetBytes;
  }

  /** Uploads holding a reservation. */
  get holders(): number {
    return this.#entries.size;
  }

  /** Uploads dropped so far to make room. */
  get evicted(): number {
    return this.#evicted;
  }

  /**
   * Admits a body of `declared` bytes (undefined: chunked) if it fits now, evicting stalled uploads if that is
   * what it takes. `evict` is called if this upload is later dropped. Undefined: it does not fit (503).
   */
  admit(declared: number | undefined, evict: () => void): UploadTicket | undefined {
    const min = this.#o.minReservationBytes;
    if (!this.#makeRoom(Math.max(min, declared ?? 0))) return undefined;
    const now = this.#now();
    const entry: Entry = { reserved: min, received: 0, startedAt: now, lastByteAt: now, complete: false, evict };
    this.#entries.add(entry);
    this.#used += min;
    let held: Promise<unknown>[] = [];
    let released = false;
    const free = () => {
      if (!this.#entries.delete(entry)) return;
      this.#used -= entry.reserved;
    };
    return {
      get reserved() {
        return entry.reserved;
      },
      received: (n) => {
        entry.received += n;
        entry.lastByteAt = this.#now();
        if (entry.received <= entry.reserved) return true;
        const more = entry.received - entry.reserved;
        if (!this.#makeRoom(more, entry)) return false;
        entry.reserved += more;
        this.#used += more;
        return true;
      },
      complete: () => {
        entry.complete = true;
      },
      holdUntil: (work) => {
        held.push(work);
      },
      release: () => {
        if (released) return;
        released = true;
        if (held.length === 0) return free();
        const wait = held;
        held = [];
        void Promise.allSettled(wait).then(free);
      },
    };
  }

  /** Drops every stalled upload now (shutdown: a stalled body must not hold the drain until its timeout). */
  evictStalled(): number {
    const now = this.#now();
    let n = 0;
    for (const e of [...this.#entries]) {
      if (!this.#isStalled(e, now)) continue;
      this.#entries.delete(e);
      this.#used -= e.reserved;
      this.#evicted++;
      n++;
      e.evict();
    }
    return n;
  }

  #isStalled(e: Entry, now: number): boolean {
    if (e.complete) return false;
    const age = now - e.startedAt;
    return now - e.lastByteAt >= this.#o.stallMs || (age >= this.#o.stallMs && (e.received * 1000) / age < this.#o.minBytesPerSec);
  }

  /** Evicts stalled uploads (longest idle first) until `bytes` more fit; false if they cannot. */
  #makeRoom(bytes: number, except?: Entry): boolean {
    const { budgetBytes } = this.#o;
    if (this.#used + bytes <= budgetBytes) return true;
    if (bytes > budgetBytes) return false;
    const now = this.#now();
    const stalled = [...this.#entries].filter((e) => e !== except && this.#isStalled(e, now)).sort((a, b) => a.lastByteAt - b.lastByteAt);
    let freeable = 0;
    for (const e of stalled) freeable += e.reserved;
    if (this.#used - freeable + bytes > budgetBytes) return false;
    for (const e of stalled) {
      if (this.#used + bytes <= budgetBytes) break;
      this.#entries.delete(e);
      this.#used -= e.reserved;
      this.#evicted++;
      e.evict();
    }
    return true;
  }
}
