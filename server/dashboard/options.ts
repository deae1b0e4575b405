/**
 * The dashboard's knobs (pipeline file: `serve.with.dashboard`, steps/serve/dashboard-schema.ts). Without an admin
 * token the page is read-only: every action answers 403.
 */

export interface DashboardOptions {
  /** Serve `/dashboard`, `/events` and `/dashboard/api/*`. Default true. */
  readonly enabled?: boolean;
  /** The token a person enters to act (pause/resume/abort/promote, acknowledge). Empty or absent: read-only. */
  readonly adminToken?: string;
  /** Server-sent-event clients at once; more get 503 + Retry-After. Default 8. */
  readonly maxClients?: number;
  /** A comment line on every stream this often, so proxies keep it open. Default 15000 ms. */
  readonly heartbeatMs?: number;
  /** One snapshot per client this often. Default 1000 ms. */
  readonly snapshotMs?: number;
  /** Store, rollout and monitoring panels are re-read this often while someone watches. Default 2000 ms. */
  readonly storeRefreshMs?: number;
  /** The latency objective drawn on the latency chart (p95 of /predict). Default 250 ms. */
  readonly latencySloMs?: number;
  /** Predictions with a top-1 probability under this are listed as low-confidence. Default 0.5. */
  readonly lowConfidence?: number;
}

export type ResolvedDashboardOptions = Required<DashboardOptions>;

export const DASHBOARD_DEFAULTS: ResolvedDashboardOptions = Object.freeze({
  enabled: true,
  adminToken: '',
  maxClients: 8,
  heartbeatMs: 15_000,
  snapshotMs: 1000,
  storeRefreshMs: 2000,
  latencySloMs: 250,
  lowConfidence: 0.5,
});

export function resolveDashboardOptions(o: DashboardOptions = {}): ResolvedDashboardOptions {
  const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const r = { ...DASHBOARD_DEFAULTS, ...defined } as ResolvedDashboardOptions;
  for (const key of ['maxClients', 'heartbeatMs', 'snapshotMs', 'storeRefreshMs', 'latencySloMs'] as const) {
    if (!Number.isFinite(r[key]) || r[key] <= 0) throw new Error(`serve: dashboard.${key} must be a number > 0, got ${String(r[key])}`);
  }
  if (!(r.lowConfidence > 0 && r.lowConfidence < 1)) throw new Error(`serve: dashboard.lowConfidence must be between 0 and 1, got ${String(r.lowConfidence)}`);
  if (typeof r.adminToken !== 'string') throw new Error('serve: dashboard.adminToken must be a string');
  if (r.adminToken !== '' && r.adminToken.length < 12) {
    throw new Error(`serve: dashboard.adminToken is ${r.adminToken.length} characters; use at least 12 (e.g. \`openssl rand -hex 16\`), or leave it empty for a read-only dashboard`);
  }
  return Object.freeze(r);
}
