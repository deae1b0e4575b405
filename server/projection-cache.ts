/**
 * The monitoring projection of each served version, read once from its reference profile in the store and kept
 * in memory, so the predictor looks it up synchronously (no store round trip per request). Until the read
 * completes (the first requests after a load) records are logged without an embedding; a version without a
 * profile is asked again after `retryMs` (someone may run `pipeline monitor profile`).
 */
import type { OutOfScopeModel } from '../ml/monitoring/out-of-scope.ts';
import type { PcaProjection } from '../ml/monitoring/pca.ts';
import type { ProjectionLookup } from './prediction-record.ts';

/** The projection lookup, plus the version's out-of-scope model (capture decides with it). */
export type ProfileLookup = ProjectionLookup & { outOfScope(modelName: string, version: number): OutOfScopeModel | null };

export interface ProfileSource {
  getProfile(modelName: string, version: number): Promise<unknown>;
}

export function projectionCache(source: ProfileSource, opts: { retryMs?: number; onError?: (message: string) => void } = {}): ProfileLookup {
  const retryMs = opts.retryMs ?? 60_000;
  const known = new Map<string, { projection: PcaProjection | null; outOfScope: OutOfScopeModel | null; at: number }>();
  const pending = new Set<string>();
  const lookup = (name: string, version: number) => {
    const key = `${name}@${version}`;
    const hit = known.get(key);
    if (hit && (hit.projection || Date.now() - hit.at < retryMs)) return hit;
    if (!pending.has(key)) {
      pending.add(key);
      void source
        .getProfile(name, version)
        .then((p) => {
          const profile = p as { projection?: PcaProjection; outOfScope?: OutOfScopeModel } | null;
          known.set(key, { projection: profile?.projection ?? null, outOfScope: profile?.outOfScope ?? null, at: Date.now() });
        })
        .catch((err: unknown) => {
          known.set(key, { projection: null, outOfScope: null, at: Date.now() });
          opts.onError?.(`monitoring profile of ${key}: ${err instanceof Error ? err.message : String(err)}`);
        })
        .finally(() => pending.delete(key));
    }
    return hit ?? null;
  };
  return Object.assign((name: string, version: number) => lookup(name, version)?.projection ?? null, {
    outOfScope: (name: string, version: number) => lookup(name, version)?.outOfScope ?? null,
  });
}
