/**
 * Keys and statuses computed once per engine invocation. `plan` asks for the status of every stage, and each
 * status needs its upstream stages' statuses: without a memo, the data set's files were listed and hashed again
 * for every stage below split. Any state written (a stage finished) clears the memo, since later keys depend on it.
 */
export class StageKeyMemo<K, S> {
  readonly #keys = new Map<string, Promise<K>>();
  readonly #statuses = new Map<string, Promise<S>>();

  key(stage: string, compute: () => Promise<K>): Promise<K> {
    return memo(this.#keys, stage, compute);
  }

  status(stage: string, compute: () => Promise<S>): Promise<S> {
    return memo(this.#statuses, stage, compute);
  }

  clear(): void {
    this.#keys.clear();
    this.#statuses.clear();
  }
}

function memo<T>(map: Map<string, Promise<T>>, id: string, compute: () => Promise<T>): Promise<T> {
  let hit = map.get(id);
  if (!hit) {
    hit = compute();
    map.set(id, hit);
    // A failure is not remembered: the next caller tries again (and sees the error itself).
    hit.catch(() => map.delete(id));
  }
  return hit;
}
