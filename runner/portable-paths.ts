/**
 * Stage states name files (outputs, and paths inside results such as a dataset version's folder). Written as
 * absolute paths, they tie the cache to where the checkout happens to be: a moved or cloned workdir found every
 * stage stale, or worse, cached results pointing into the old copy. So paths inside the workdir are stored as
 * `@workdir/<relative>` and resolved against the current workdir when read. Paths outside it (a shared data set)
 * stay absolute: they did not move with the checkout.
 */
import path from 'node:path';

const MARK = '@workdir';

/** True when `p` is `dir` or inside it. */
export function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  return value;
}

/** Every absolute path inside `workdir` in `value`, rewritten as `@workdir/<relative>`. */
export function toPortable<T>(value: T, workdir: string): T {
  return mapStrings(value, (s) => {
    if (!path.isAbsolute(s) || !isInside(workdir, s)) return s;
    const rel = path.relative(workdir, s).split(path.sep).join('/');
    return rel ? `${MARK}/${rel}` : MARK;
  }) as T;
}

/** The inverse of `toPortable`, against the workdir as it is now. */
export function fromPortable<T>(value: T, workdir: string): T {
  return mapStrings(value, (s) => (s === MARK ? workdir : s.startsWith(`${MARK}/`) ? path.join(workdir, ...s.slice(MARK.length + 1).split('/')) : s)) as T;
}
