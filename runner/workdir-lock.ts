/**
 * One run per workdir at a time. Two runs in one workdir would both compute features, both train the grid and
 * register the same model twice, so `pipeline run` takes an exclusive lock first: a file created with O_EXCL
 * (atomic on one filesystem, NFS included since v3) that names its holder (pid, host, since when, command). The
 * holder touches it every few seconds (heartbeat), so a lock left by a crash is recognised as stale: at once when
 * its pid is dead on this host, after `staleMs` without a heartbeat otherwise (another host, or a reused pid).
 *
 * A run that does one shard of a shardable stage (`--only train --shard 0/3`) takes a scoped lock instead
 * (`.pipeline.lock.train@0of3`): shard processes share a workdir, the same shard twice does not, and a
 * whole-workdir run and shard runs exclude each other (each side checks the other's live locks after taking its
 * own, so when two race, at least one gives up: never both run).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PipelineError } from './errors.ts';
import { isProcessAlive } from '../lib/process-alive.ts';

export const LOCK_FILE = '.pipeline.lock';

/** What the lock file holds. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO time the lock was taken. */
  readonly since: string;
  readonly command: string;
}

export interface LockOptions {
  /** How often the holder touches the file. Default 5 s. */
  readonly heartbeatMs?: number;
  /** A lock whose file was not touched for this long is stale. Default 60 s. */
  readonly staleMs?: number;
  readonly command?: string;
  /** A scoped lock (`train@0of3`): file `.pipeline.lock.<scope>`. */
  readonly scope?: string;
}

export interface WorkdirLock {
  readonly file: string;
  /** Set when a stale lock was recovered: the holder it replaced. */
  readonly recovered?: LockHolder;
  release(): void;
}

/** Another run holds the workdir. */
export class WorkdirBusyError extends PipelineError {
  readonly holder: LockHolder;
  constructor(file: string, holder: LockHolder) {
    super(
      'WORKDIR_BUSY',
      `another run is using this workdir: pid ${holder.pid} on ${holder.host}, since ${holder.since} (${holder.command}). ` +
        `Wait for it to finish, or stop it; if that process is gone for good, delete ${file}`,
    );
    this.holder = holder;
  }
}


function readHolder(file: string): { holder: LockHolder; mtimeMs: number; raw: string } | undefined {
  try {
    const raw = fs.readFileSync(file, 'utf8');
    const mtimeMs = fs.statSync(file).mtimeMs;
    const parsed = JSON.parse(raw) as Partial<LockHolder>;
    const holder: LockHolder = { pid: Number(parsed.pid), host: String(parsed.host ?? '?'), since: String(parsed.since ?? '?'), command: String(parsed.command ?? '?') };
    return { holder, mtimeMs, raw };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Unreadable or half-written (a crash between create and write): treat it as a holder with no pid.
    return { holder: { pid: NaN, host: '?', since: '?', command: '?' }, mtimeMs: fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0, raw: '' };
  }
}

function isStale(h: { holder: LockHolder; mtimeMs: number }, staleMs: number): boolean {
  const quiet = Date.now() - h.mtimeMs;
  if (h.holder.host === os.hostname() && Number.isInteger(h.holder.pid)) {
    if (!isProcessAlive(h.holder.pid)) return true;
    // Alive pid on this host: held, unless silent far longer than a heartbeat allows (a reused pid after a reboot).
    return quiet > staleMs * 5;
  }
  return quiet > staleMs;
}

/**
 * Takes the lock of `workdir` or throws WorkdirBusyError naming the holder. A stale lock is moved aside (rename:
 * only one contender can win it) and the lock taken again.
 */
export function acquireWorkdirLock(workdir: string, opts: LockOptions = {}): WorkdirLock {
  const file = path.join(workdir, opts.scope ? `${LOCK_FILE}.${opts.scope}` : LOCK_FILE);
  const staleMs = opts.staleMs ?? 60_000;
  const me: LockHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), command: opts.command ?? `pipeline ${process.argv.slice(2).join(' ')}` };
  fs.mkdirSync(workdir, { recursive: true });
  let recovered: LockHolder | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, `${JSON.stringify(me)}\n`);
      } finally {
        fs.closeSync(fd);
      }
      return held(file, me, opts.heartbeatMs ?? 5_000, recovered);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const current = readHolder(file);
    if (!current) continue; // released meanwhile: try again
    if (!isStale(current, staleMs)) throw new WorkdirBusyError(file, current.holder);
    const aside = `${file}.stale-${process.pid}-${attempt}`;
    try {
      fs.renameSync(file, aside);
    } catch {
      continue; // another contender moved it first
    }
    // Between our read and the rename, someone may have recovered it and taken a fresh lock: give that one back.
    const moved = fs.readFileSync(aside, 'utf8');
    if (current.raw && moved !== current.raw) {
      try {
        fs.linkSync(aside, file);
      } catch {
        // the file exists again: whoever holds it now wins
      }
      fs.rmSync(aside, { force: true });
      continue;
    }
    fs.rmSync(aside, { force: true });
    recovered = current.holder;
  }
  const last = readHolder(file);
  throw new WorkdirBusyError(file, last?.holder ?? { pid: NaN, host: '?', since: '?', command: '?' });
}

/**
 * The live holders of locks in `workdir` that conflict with a lock of `scope` (undefined: the whole workdir):
 * every scoped lock for a whole-workdir run, the whole-workdir lock for a scoped one. Stale ones are ignored.
 */
export function conflictingHolders(workdir: string, scope: string | undefined, staleMs = 60_000): { file: string; holder: LockHolder }[] {
  let names: string[];
  try {
    names = fs.readdirSync(workdir);
  } catch {
    return [];
  }
  const wanted = scope ? names.filter((n) => n === LOCK_FILE) : names.filter((n) => n.startsWith(`${LOCK_FILE}.`) && !n.includes('.stale-'));
  return wanted.flatMap((n) => {
    const file = path.join(workdir, n);
    const h = readHolder(file);
    return h && !isStale(h, staleMs) ? [{ file, holder: h.holder }] : [];
  });
}

function held(file: string, me: LockHolder, heartbeatMs: number, recovered: LockHolder | undefined): WorkdirLock {
  const timer = setInterval(() => {
    const now = new Date();
    try {
      fs.utimesSync(file, now, now);
    } catch {
      // removed by hand: nothing to keep alive
    }
  }, heartbeatMs);
  timer.unref();
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    clearInterval(timer);
    process.off('exit', release);
    // Only remove the file if it is still ours (someone may have deleted a lock they judged dead and taken it).
    const current = readHolder(file);
    if (current && current.holder.pid === me.pid && current.holder.host === me.host && current.holder.since === me.since) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { file, recovered, release };
}

/**
 * The engine's view of the lock: held while cached stages run; let go before a never-cached, long-running stage
 * (serve), so a new run can train and register while the server answers, and taken again if a cached stage follows.
 */
export class WorkdirGuard {
  readonly #workdir: string;
  readonly #warn: (message: string) => void;
  #lock: WorkdirLock | undefined;

  readonly #scope: string | undefined;

  /** `scope`: this run does one shard only (`train@0of3`, see acquireWorkdirLock). */
  constructor(workdir: string, warn: (message: string) => void, scope?: string) {
    this.#workdir = workdir;
    this.#warn = warn;
    this.#scope = scope;
  }

  /** Holds the lock for a stage that writes state (cache !== false), lets it go for one that does not. */
  forStage(cached: boolean): void {
    if (cached) this.hold();
    else this.release();
  }

  hold(): void {
    if (this.#lock) return;
    const lock = acquireWorkdirLock(this.#workdir, { scope: this.#scope });
    const other = conflictingHolders(this.#workdir, this.#scope)[0];
    if (other) {
      lock.release();
      throw new WorkdirBusyError(other.file, other.holder);
    }
    this.#lock = lock;
    const r = this.#lock.recovered;
    if (r) this.#warn(`recovered a stale workdir lock left by pid ${r.pid} on ${r.host} (since ${r.since}): that run did not finish`);
  }

  release(): void {
    this.#lock?.release();
    this.#lock = undefined;
  }
}
