#!/usr/bin/env node
// Prints the libuv thread-pool size for the CPU this process is given (server/cpu-budget.ts: 2 per CPU, at least
// 2). libuv reads UV_THREADPOOL_SIZE once, before any JavaScript runs, so a server cannot size its own pool: the
// images' entry point (platform/docker/entrypoint.sh) runs this first and exports the result for `serve`.
import { register } from 'tsx/esm/api';

register();
const { cpuBudget, derivedThreads } = await import('../server/cpu-budget.ts');
process.stdout.write(`${derivedThreads(cpuBudget()).uvThreadpool}\n`);
