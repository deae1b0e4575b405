/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core): the page loads with no console
 * error and no failed request; predictions sent to the server show up in the request and class panels; with a
 * canary running (the in-memory RolloutControl of dashboard-fixtures.ts) the abort button is refused without the
 * token (401, said on the page) and aborts with it (the page shows the new phase, the history names the actor);
 * phone width and dark mode. Writes a screenshot of the page under load to outputs/dashboard.png.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { staticModelSource } from '../../server/model-source.ts';
import { createBatchedWriter } from '../../stores/batched-writer.ts';
import { miniDataDir, repoRoot } from '../helpers/paths.ts';
import { sqliteBackend, openTestStores } from '../helpers/store-backends.ts';
import { tempDir } from '../helpers/tmp.ts';
import { launchChromium, watchPage } from '../helpers/browser.ts';
import { backboneVersion, drainBeforeClosing, postFiles, startTestApp } from './fixtures.ts';
import { memoryMonitoring, memoryRollouts } from './dashboard-fixtures.ts';

const TOKEN = 'browser-test-token-42';

const images = ['pizza', 'steak', 'sushi'].flatMap((c) => {
  const dir = path.join(miniDataDir, 'images', c);
  return fs.readdirSync(dir).sort().slice(0, 4).map((f) => fs.readFileSync(path.join(dir, f)));
});

test('dashboard in chromium: loads clean, shows traffic and classes, refuses and then takes an abort', { timeout: 90_000 }, async (t) => {
  const stores = await openTestStores(t, await sqliteBackend.url(t));
  const writer = createBatchedWriter(stores.predictions, { maxRows: 64, maxDelayMs: 100 });
  const rollouts = memoryRollouts('food101');
  const srv = await startTestApp(t, {
    source: staticModelSource('food101', [backboneVersion(t)], { champion: 1 }),
    predictionLog: writer,
    predictionStore: stores.predictions,
    rolloutControl: rollouts,
    monitoringView: memoryMonitoring('food101'),
    dashboard: { adminToken: TOKEN, storeRefreshMs: 500 },
  });
  drainBeforeClosing(stores, srv.serve);
  const context = await launchChromium(t);
  const page = await context.newPage();
  const problems = watchPage(page);
  page.on('dialog', (d) => void d.accept());

  await page.goto(`${srv.url}/dashboard`);
  await page.waitForFunction(() => (globalThis as any).document.getElementById('conn')?.textContent?.startsWith('live'), null, { timeout: 15_000 });
  await page.waitForSelector('#c-traffic .uplot', { timeout: 10_000 });
  assert.equal(problems.join('\n'), '', 'the page loads without console errors or failed requests');
  // (Browser-side code reaches the DOM through `any`: this project's TypeScript has no DOM types; strings would be
  // eval, which the page's CSP forbids.)
  const bytes = await page.evaluate(() => {
    const perf = (globalThis as any).performance;
    return [...perf.getEntriesByType('navigation'), ...perf.getEntriesByType('resource')]
      .filter((e: any) => !e.name.includes('/api/') && !e.name.endsWith('/events'))
      .reduce((a: number, e: any) => a + e.transferSize, 0) as number;
  });
  t.diagnostic(`page download: ${bytes} bytes transferred (page, scripts, styles, icon)`);
  assert.ok(bytes > 0 && bytes < 120_000, `the page downloads ${bytes} bytes`);

  // Under load: requests from four clients for the rest of the test (until the screenshot is taken).
  let loading = true;
  const sent: number[] = [];
  const clients = Array.from({ length: 4 }, async (_, c) => {
    for (let i = c; loading; i++) {
      const res = await postFiles(`${srv.url}/predict`, [{ field: 'file', data: images[i % images.length]!, filename: 'x.jpg', type: 'image/jpeg' }]);
      sent.push(res.status);
    }
  });
  await page.waitForFunction(() => Number((globalThis as any).document.getElementById('traffic-now')?.dataset.requests) > 0, null, { timeout: 15_000 });
  await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#classes tbody tr').length >= 2, null, { timeout: 15_000 });
  const classes = await page.locator('#classes tbody th').allTextContents();
  assert.ok(classes.includes('pizza'), `the class panel lists pizza: ${classes.join(', ')}`);
  assert.ok((await page.locator('#models tbody').textContent())?.includes('food101'));
  await page.waitForTimeout(3000); // a few seconds of chart under load for the screenshot
  fs.mkdirSync(path.join(repoRoot, 'outputs'), { recursive: true });
  await page.screenshot({ path: path.join(repoRoot, 'outputs/dashboard.png'), fullPage: true });
  loading = false;
  await Promise.all(clients);
  assert.ok(sent.length > 0 && sent.every((s) => s === 200), `every prediction answered 200 (${sent.length} sent)`);

  // Without the token: the server refuses (401) and the page says so; the rollout goes on.
  assert.equal(await page.locator('#rollout-phase').getAttribute('data-phase'), 'progressing');
  const refused = page.waitForResponse((r) => r.url().endsWith('/dashboard/api/rollout/abort'));
  await page.locator('#actor').fill('ana');
  await page.click('button[data-action="abort"]');
  assert.equal((await refused).status(), 401);
  await page.waitForFunction(() => (globalThis as any).document.getElementById('action-msg')?.textContent?.includes('Refused (HTTP 401)'), null, { timeout: 5000 });
  assert.equal(rollouts.status.phase, 'progressing');
  assert.equal(await page.locator('#rollout-phase').getAttribute('data-phase'), 'progressing');

  // With it: aborted, on the page and in the rollout's history with who did it.
  await page.locator('#token').fill(TOKEN);
  await page.click('#unlock');
  const taken = page.waitForResponse((r) => r.url().endsWith('/dashboard/api/rollout/abort'));
  await page.click('button[data-action="abort"]');
  assert.equal((await taken).status(), 200);
  await page.waitForSelector('#rollout-phase[data-phase="aborted"]', { timeout: 5000 });
  assert.equal(rollouts.status.phase, 'aborted');
  assert.equal(rollouts.status.events.at(-1)!.actor, 'ana');
  assert.ok((await page.locator('#rollout-events').textContent())?.includes('by ana'));
  assert.equal(await page.locator('button[data-action="abort"]').isDisabled(), true, 'nothing left to abort');

  // Phone width and dark mode: no horizontal scrolling of the page, a dark background.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300);
  const layout = await page.evaluate(() => ({ width: (globalThis as any).document.documentElement.scrollWidth as number, bg: (globalThis as any).getComputedStyle((globalThis as any).document.body).backgroundColor as string }));
  assert.ok(layout.width <= 392, `the page fits a phone (${layout.width} px wide)`);
  assert.equal(layout.bg, 'rgb(13, 17, 23)');

  const unexpected = problems.filter((p) => !p.includes('/dashboard/api/rollout/abort') && !p.includes('401'));
  assert.deepEqual(unexpected, [], 'no console error or failed request apart from the refused action');
});
