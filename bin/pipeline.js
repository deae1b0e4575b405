#!/usr/bin/env node
// The `pipeline` command. The project runs from TypeScript sources through tsx (no build step to forget).
import { register } from 'tsx/esm/api';

register();
await import('../app/main.ts');
