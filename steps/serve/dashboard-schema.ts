/** `serve.with.dashboard`: the real-time dashboard of the inference server (server/dashboard/). */
import { Type, type Static } from '../../runner/schema-builder.ts';
import type { DashboardOptions } from '../../server/dashboard/options.ts';

export const dashboardSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve GET /dashboard and GET /events; false switches the dashboard off (404).' }),
    admin_token: Type.String({
      default: '',
      pattern: '^(|[\\s\\S]{12,})$',
      description: 'Token a person enters on the page to pause/resume/abort/promote a rollout or acknowledge an alert; empty: read-only. Keep it out of the file: "${DASHBOARD_TOKEN:-}". At least 12 characters.',
    }),
    max_clients: Type.Integer({ minimum: 1, default: 8, description: 'Dashboards open at once (event streams); more get 503 and retry by themselves.' }),
    latency_slo_ms: Type.Number({ exclusiveMinimum: 0, default: 250, description: 'Latency objective drawn on the latency chart (p95 of /predict), in ms.' }),
    low_confidence: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.5, description: 'Predictions with a top-1 probability under this are listed as low-confidence.' }),
  },
  { default: {}, additionalProperties: false, description: 'The real-time dashboard at /dashboard (server/README.md "Dashboard").' },
);

export type DashboardParams = Static<typeof dashboardSchema>;

export function dashboardOptions(p: DashboardParams): DashboardOptions {
  return { enabled: p.enabled, adminToken: p.admin_token, maxClients: p.max_clients, latencySloMs: p.latency_slo_ms, lowConfidence: p.low_confidence };
}
