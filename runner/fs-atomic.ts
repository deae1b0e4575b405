/** Moved to lib/fs-atomic.ts (shared by the runner and the product); this re-export keeps runner-internal imports short. */
export * from '../lib/fs-atomic.ts';
