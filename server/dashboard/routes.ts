/** The dashboard's HTTP surface: the page and its files, the event stream, the JSON reads, the guarded actions. */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { RolloutAction } from '../control-ports.ts';
import { HttpError } from '../errors.ts';
import { loadAssets, sendAsset } from './assets.ts';
import { actorName, checkAction } from './auth.ts';
import { HistoryCache, parseRange } from './history.ts';
import type { LiveMetrics } from './live-metrics.ts';
import type { DashboardDeps } from './ports.ts';
import type { SnapshotBuilder } from './snapshot.ts';
import type { SseHub } from './sse.ts';

/** Same origin only: scripts, styles, data and images from this server; no frames, no forms, no plugins. */
export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ACTIONS: readonly RolloutAction[] = ['pause', 'resume', 'abort', 'promote'];
const MAX_BODY = 4096;

async function jsonBody(ctx: Context): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `an action's body is at most ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const v: unknown = text ? JSON.parse(text) : {};
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {}
  throw new HttpError(400, 'BAD_JSON', 'the body must be a JSON object such as {"actor": "ana", "reason": "latency"}');
}

export function dashboardRouter(d: DashboardDeps, parts: { live: LiveMetrics; builder: SnapshotBuilder; hub: SseHub }): Router {
  const { live, builder, hub } = parts;
  const assets = loadAssets();
  const router = new Router();

  const page = assets.get('/dashboard')!;
  router.get('/dashboard', (ctx) => {
    ctx.set('Content-Security-Policy', PAGE_CSP);
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    sendAsset(ctx, page);
  });
  router.get('/dashboard/', (ctx) => ctx.redirect('/dashboard'));
  for (const [url, asset] of assets) if (url !== '/dashboard') router.get(url, (ctx) => sendAsset(ctx, asset));

  router.get('/events', (ctx) => hub.open(ctx));

  router.get('/dashboard/api/snapshot', async (ctx) => {
    await builder.refresh();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = builder.build();
  });
  router.get('/dashboard/api/live', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { samples: live.samples() };
  });
  const history = new HistoryCache();
  router.get('/dashboard/api/history', async (ctx) => {
    const range = parseRange(ctx.query.range ?? '5m');
    const only = ctx.query.only;
    if (only !== undefined && only !== 'monitoring') throw new HttpError(400, 'BAD_PARTS', `only= takes 'monitoring' (or leave it out), got '${String(only)}'`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await history.get(d, range, only === undefined);
  });

  const guard = async (ctx: Context) => {
    // Koa 3's ctx.origin is the Origin header itself: this server's own origin is built from protocol and Host.
    checkAction({ method: ctx.method, get: (n) => ctx.get(n), origin: `${ctx.protocol}://${ctx.host}` }, d.options.adminToken);
    return jsonBody(ctx);
  };
  const done = async (ctx: Context, body: unknown) => {
    await builder.refresh(true);
    void hub.push();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  };

  router.post('/dashboard/api/rollout/:action', async (ctx) => {
    const body = await guard(ctx);
    const action = ctx.params.action as RolloutAction;
    if (!ACTIONS.includes(action)) throw new HttpError(404, 'UNKNOWN_ACTION', `no rollout action '${action}'; one of ${ACTIONS.join(', ')}`);
    const actor = actorName(body.actor);
    if (!d.rollouts) throw new HttpError(409, 'NO_ROLLOUTS', 'this server runs without rollouts: nothing to act on');
    const reason = typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim().slice(0, 200) : `${action} from the dashboard`;
    let status;
    try {
      status = await d.rollouts.act(d.modelName, action, actor, reason);
    } catch (err) {
      throw new HttpError(409, 'ACTION_REFUSED', `${action} ${d.modelName}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    await done(ctx, { rollout: status });
  });

  router.post('/dashboard/api/alerts/:id/ack', async (ctx) => {
    const body = await guard(ctx);
    const actor = actorName(body.actor);
    if (!d.monitoring) throw new HttpError(409, 'NO_MONITORING', 'this server runs without monitoring: no alerts to acknowledge');
    try {
      await d.monitoring.acknowledge(ctx.params.id!, actor);
    } catch (err) {
      throw new HttpError(404, 'UNKNOWN_ALERT', `alert ${ctx.params.id}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    await done(ctx, { acknowledged: ctx.params.id, by: actor });
  });

  return router;
}
