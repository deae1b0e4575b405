// Worker entry of scripts/bench-compute-bound.ts: a worker thread does not inherit tsx, so register it here.
import { register } from 'tsx/esm/api';

register();
await import('./bench-compute-bound.ts');
