/**
 * The traffic policy: which variant answers a request, and whether the candidate also sees a mirror of it. Pure
 * functions of the rollout and a stickiness key (the `X-User-Id` header, else the server's request id), so every
 * replica routes a user the same way without talking to the others, and a user keeps their variant as the weight
 * grows (bucket < weight: the candidate's users at 10% are still its users at 50%).
 */
import { createHash } from 'node:crypto';

/** A number in [0, 100) from the key, uniform. `salt` separates independent decisions (primary vs mirror). */
export function bucket(key: string, salt: string): number {
  const h = createHash('sha256').update(salt).update('\0').update(key).digest();
  return (h.readUInt32BE(0) / 0x1_0000_0000) * 100;
}

export interface TrafficPolicy {
  /** Rollout id: salts the hash, so each rollout draws its own users. */
  readonly id: string;
  /** Candidate's share of primary traffic, 0..100. */
  readonly weight: number;
  /** Share of the stable variant's requests mirrored to the candidate, 0..100. */
  readonly mirror: number;
}

export interface TrafficChoice {
  readonly candidate: boolean;
  readonly mirror: boolean;
}

export function choose(p: TrafficPolicy, key: string): TrafficChoice {
  const candidate = p.weight > 0 && bucket(key, p.id) < p.weight;
  const mirror = !candidate && p.mirror > 0 && bucket(key, `${p.id}:mirror`) < p.mirror;
  return { candidate, mirror };
}
