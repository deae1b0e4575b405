/**
 * Where alerts go: a webhook (JSON POST with a timeout and retries; the URL comes from the pipeline file only), a
 * JSONL file (each alert is one `write` of one whole line to a file opened with O_APPEND, so concurrent writers
 * never interleave within a line), and the log. A failing sink never stops the others, and never the monitor.
 * The sinks carry any `Notice` (a JSON body and a log line), so rollout events reach the same configured sinks
 * as monitoring alerts (rollouts/notify.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { MonitoringAlert } from '../stores/monitoring-store.ts';

/** What a sink delivers: the JSON body (webhook, file) and the line the log gets. */
export interface Notice {
  /** Names it in errors, e.g. `alert 3f2a...`. */
  readonly what: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly line: string;
  readonly level: 'info' | 'warn';
}

export interface AlertSink {
  readonly name: string;
  /** A monitoring alert (as `post(alertNotice(alert))`). */
  send(alert: MonitoringAlert): Promise<void>;
  post(notice: Notice): Promise<void>;
}

export interface SinkLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What a sink receives: the stored payload plus the alert's identity. */
export function alertBody(a: MonitoringAlert): Record<string, unknown> {
  return { ...a.payload, id: a.id, ts: new Date(a.ts).toISOString(), event: a.event, model: a.modelName, version: a.modelVersion, detector: a.detector, message: a.message, command: a.command };
}

export function alertNotice(a: MonitoringAlert): Notice {
  const line = `monitoring alert [${a.event}] ${a.modelName} v${a.modelVersion} ${a.detector}: ${a.message}${a.event === 'fire' ? ` -- to retrain: ${a.command}` : ''}`;
  return { what: `alert ${a.id}`, body: alertBody(a), line, level: a.event === 'fire' ? 'warn' : 'info' };
}

function sink(name: string, post: (n: Notice) => Promise<void>): AlertSink {
  return { name, post, send: (a) => post(alertNotice(a)) };
}

export function webhookSink(url: string, opts: { timeoutMs?: number; retries?: number; backoffMs?: number } = {}): AlertSink {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`monitoring.notify webhook: '${url}' is not a URL (e.g. https://hooks.example.com/alerts)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`monitoring.notify webhook: '${url}' must be http(s)`);
  const timeoutMs = opts.timeoutMs ?? 5000;
  const retries = opts.retries ?? 3;
  const backoff = opts.backoffMs ?? 500;
  return sink(`webhook ${parsed.origin}`, async (notice) => {
    const body = JSON.stringify(notice.body);
    let last = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, backoff * 2 ** (attempt - 1)));
      try {
        const res = await fetch(parsed, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        last = `HTTP ${res.status}`;
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) break; // the receiver refuses it: retrying will not help
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
    }
    throw new Error(`webhook ${parsed.origin}${parsed.pathname}: ${notice.what} not delivered after ${retries + 1} attempt(s): ${last}`);
  });
}

export function jsonlSink(file: string): AlertSink {
  return sink(`file ${file}`, async (notice) => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const h = await fs.open(file, 'a');
    try {
      await h.write(`${JSON.stringify(notice.body)}\n`);
    } finally {
      await h.close();
    }
  });
}

export function logSink(log: SinkLogger): AlertSink {
  return sink('log', async (n) => {
    if (n.level === 'warn') log.warn(n.line);
    else log.info(n.line);
  });
}

/** Sends every alert to every sink; failures are logged, not thrown. */
export async function deliver(alerts: readonly MonitoringAlert[], sinks: readonly AlertSink[], log: SinkLogger): Promise<{ delivered: number; failed: number }> {
  let delivered = 0, failed = 0;
  for (const a of alerts) {
    await Promise.all(sinks.map(async (s) => {
      try {
        await s.send(a);
        delivered++;
      } catch (err) {
        failed++;
        log.error(`monitoring: sink ${s.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }));
  }
  return { delivered, failed };
}
