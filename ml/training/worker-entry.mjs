// Worker threads start without the parent's programmatic loaders, and the project has no build step: register
// tsx here, then load the TypeScript worker. Harmless when tsx is already active through an inherited --import.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
