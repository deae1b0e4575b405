/**
 * One byte budget for every request body the process holds, so that memory is bounded for the whole process and
 * not only per request (256 in flight x 10 MB would be 2.5 GB). An upload reserves what it declares before one byte
 * is read, and keeps the reservation until its processing has really finished (a decode abandoned at the deadline
 * still holds its buffer until libvips lets go of it).
 *
 * Stalled uploads must not hold the budget hostage: an upload that has received nothing for `stallMs`, or that
 * averages under `minBytesPerSec`, is dropped when a new request needs its reservation.
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
   * Admits a body of `declared` bytes (undefined: chunked, grows as it arrives), evicting stalled uploads if that
   * is what it takes. `evict` is called if this upload is later dropped. Undefined: it does not fit (503).
   */
  admit(declared: number | undefined, evict: () => void): UploadTicket | undefined {
    const want = Math.max(this.#o.minReservationBytes, declared ?? 0);
    if (!this.#makeRoom(want)) return undefined;
    const now = this.#now();
    const entry: Entry = { reserved: want, received: 0, startedAt: now, lastByteAt: now, complete: false, evict };
    this.#entries.add(entry);
    this.#used += want;
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

  /** Evicts stalled uploads (longest idle first) until `bytes` more fit; false if they cannot. */
  #makeRoom(bytes: number, except?: Entry): boolean {
    const { budgetBytes, stallMs, minBytesPerSec } = this.#o;
    if (this.#used + bytes <= budgetBytes) return true;
    if (bytes > budgetBytes) return false;
    const now = this.#now();
    const stalled = [...this.#entries]
      .filter((e) => {
        if (e === except || e.complete) return false;
        const age = now - e.startedAt;
        return now - e.lastByteAt >= stallMs || (age >= stallMs && (e.received * 1000) / age < minBytesPerSec);
      })
      .sort((a, b) => a.lastByteAt - b.lastByteAt);
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
