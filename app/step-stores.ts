/**
 * Tells the type checker what `ctx.stores` holds in this product: the runner declares `StepStores` empty and
 * knows nothing of stores/ (module augmentation, types only; nothing runs here).
 */
import type { Stores } from '../stores/index.ts';

declare module '../runner/context.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface StepStores extends Stores {}
}

export {};
