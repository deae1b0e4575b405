/**
 * Debian's chromium driven by playwright-core (its own browser download cannot work here), started with the flags
 * a closed network needs, in a fresh profile removed after the test; and a watcher of what went wrong on a page.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(t: TestContext): Promise<BrowserContext> {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  // One teardown that closes the browser before its profile goes: hooks run in the order they were registered, and
  // removing a profile chromium still writes to fails (ENOTEMPTY), which left chromium running and the file hung.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'f101-chromium-'));
  let context: BrowserContext | undefined;
  t.after(async () => {
    try {
      await context?.close();
    } finally {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    }
  });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
  return context;
}

/** Console errors, failed requests (but the event stream's, cut at close) and HTTP errors the page saw. */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => !r.url().endsWith('/events') && problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} ${r.url()}`));
  return problems;
}
