/** Moved to lib/map-limit.ts (shared by the runner and the product); this re-export keeps runner-internal imports short. */
export * from '../lib/map-limit.ts';
