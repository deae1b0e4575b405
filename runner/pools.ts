/**
 * Resource pools: compute-heavy work is scheduled through p-queue queues named by resource (`gpu`, `cpu`, ...),
 * sized from the pipeline's `resources:` block. This is the only place p-queue is used.
 */
import PQueue from 'p-queue';

export interface Pools {
  /** Runs `fn` when a slot of `resource` is free (default: the current stage's resource). */
  run<T>(fn: () => Promise<T>, resource?: string): Promise<T>;
  /** How many tasks of `resource` run at once. */
  size(resource?: string): number;
}

export class ResourcePools {
  readonly #queues = new Map<string, PQueue>();

  constructor(sizes: Readonly<Record<string, number>>) {
    for (const [name, n] of Object.entries(sizes)) this.#queues.set(name, new PQueue({ concurrency: Math.max(1, n) }));
  }

  /** A view of the pools whose default resource is `resource`. */
  forResource(resource: string): Pools {
    const queue = (name: string = resource): PQueue => {
      const q = this.#queues.get(name);
      if (!q) throw new Error(`no resource pool named '${name}': declare it under resources: in the pipeline file`);
      return q;
    };
    return {
      run: <T>(fn: () => Promise<T>, name?: string) => queue(name).add(fn, { throwOnTimeout: true }) as Promise<T>,
      size: (name?: string) => queue(name).concurrency,
    };
  }

  names(): string[] {
    return [...this.#queues.keys()];
  }
}
