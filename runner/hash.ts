/** Moved to lib/hash.ts (shared by the runner and the product); this re-export keeps runner-internal imports short. */
export * from '../lib/hash.ts';
