/**
 * Several inference workers of one model, so that batches overlap. With one worker the model computes on one
 * thread at a time (its intra-op threads), and on a 2-CPU machine that thread is the bottleneck under load while
 * libvips decodes on the other core: the quiet benchmark of issue 9 used 1.54 of 2 cores. Two workers, each one
 * intra-op thread, let two batches run at once when decoding leaves room, so the cores fill the way the compute
 * bound's two workers fill them (scripts/bench-compute-bound.ts). Only the first member has the spinning
 * low-latency session for lone requests; the others have the batch session only.
 */
import { InferenceUnavailableError, type OrtSession, type SessionStatus } from './ort-session.ts';

export function sessionPool(members: readonly OrtSession[]): OrtSession {
  if (members.length === 0) throw new Error('sessionPool: no sessions');
  if (members.length === 1) return members[0]!;
  const inFlight = members.map(() => 0);
  const status = (): SessionStatus => {
    const all = members.map((m) => m.status());
    return all.includes('failed') ? 'failed' : all.includes('recovering') ? 'recovering' : 'ok';
  };
  /** The live member with the fewest runs in flight (the first on ties); lone requests want the first. */
  const pick = (lone: boolean): number | undefined => {
    if (lone && members[0]!.alive() && inFlight[0] === 0) return 0;
    let best: number | undefined;
    members.forEach((m, i) => {
      if (m.alive() && (best === undefined || inFlight[i]! < inFlight[best]!)) best = i;
    });
    return best;
  };
  return {
    inputNames: members[0]!.inputNames,
    outputNames: members[0]!.outputNames,
    async run(inputs, itemDims, idle, hangMs) {
      const i = pick(idle === true);
      if (i === undefined) throw new InferenceUnavailableError(status() === 'failed' ? 'the inference workers could not be restarted' : 'the inference workers are restarting');
      inFlight[i]!++;
      try {
        // Only the first member has a low-latency session; elsewhere `idle` would mean nothing.
        return await members[i]!.run(inputs, itemDims, idle === true && i === 0, hangMs);
      } finally {
        inFlight[i]!--;
      }
    },
    // Any member down means the model is not whole: /ready says so and new requests get 503 (runs already queued
    // go to the members still alive).
    alive: () => status() === 'ok',
    status,
    worker: () => members[0]!.worker(),
    workers: () => members.flatMap((m) => m.workers()),
    // As a crash of the whole inference would: every worker exits and restarts.
    kill: () => members.forEach((m) => m.kill()),
    async release() {
      await Promise.all(members.map((m) => m.release()));
    },
  };
}
