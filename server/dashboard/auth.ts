/**
 * Who may act from the dashboard. An action needs, in order: a configured admin token (else 403 READ_ONLY), a JSON
 * body (form posts, which a foreign page can send without asking, get 415), no cross-site signal (Sec-Fetch-Site
 * `cross-site`/`same-site`, or an Origin that is not this host: 403), and the token in the `X-Dashboard-Token`
 * header (a custom header, which a cross-site page cannot send without a CORS preflight this app never answers),
 * equal to the configured one (401). Tokens are compared as SHA-256 digests with `timingSafeEqual`: same length
 * always, and no early exit that would tell how many characters matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from '../errors.ts';

export const TOKEN_HEADER = 'x-dashboard-token';

export interface ActionRequest {
  readonly method: string;
  /** Header lookup, lower-case names; '' when absent. */
  get(name: string): string;
  /** `http://host:port` as this server sees it. */
  readonly origin: string;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Throws the HttpError that refuses the action, or returns when it may go on. */
export function checkAction(req: ActionRequest, adminToken: string): void {
  if (!adminToken) {
    throw new HttpError(403, 'READ_ONLY', 'the dashboard is read-only: no admin token is configured (serve.with.dashboard.admin_token, e.g. "${DASHBOARD_TOKEN:-}")');
  }
  if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `actions are POST requests, got ${req.method}`);
  const type = req.get('content-type').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, 'JSON_REQUIRED', `actions take a JSON body (Content-Type: application/json), got '${type || 'none'}'; form posts are refused`);
  }
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, 'CROSS_SITE', `refused a ${site} request: actions are only taken from the dashboard page itself`);
  }
  const origin = req.get('origin');
  if (origin && origin !== req.origin) {
    throw new HttpError(403, 'CROSS_SITE', `refused a request from origin ${origin}: actions are only taken from ${req.origin}`);
  }
  const token = req.get(TOKEN_HEADER);
  if (!token) throw new HttpError(401, 'TOKEN_REQUIRED', `actions need the admin token in the ${TOKEN_HEADER} header (enter it on the page)`);
  if (!tokensEqual(token, adminToken)) throw new HttpError(401, 'TOKEN_INVALID', 'the admin token is wrong');
}

/** A person's name for the rollout history: 1-64 printable characters. */
export function actorName(value: unknown): string {
  if (typeof value !== 'string' || !/^[\p{L}\p{N} ._@-]{1,64}$/u.test(value.trim())) {
    throw new HttpError(400, 'ACTOR_REQUIRED', 'say who acts: "actor" in the JSON body, 1-64 letters, digits, spaces or . _ @ -');
  }
  return value.trim();
}
