/**
 * The dashboard on a real canary (the rollout controller on a real store and registry, tests/rollouts/support.ts):
 * the page shows the running rollout with its variants, a person with the token aborts it from the page, the
 * store's rollout is aborted with the person's name in its history, the champion is untouched and keeps
 * answering. Writes outputs/dashboard-canary.png (the page during the canary, before the abort).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { launchChromium, watchPage } from '../helpers/browser.ts';
import { repoRoot } from '../helpers/paths.ts';
import { sqliteBackend } from '../helpers/store-backends.ts';
import { predict, rolloutServer, start, world } from '../rollouts/support.ts';

const TOKEN = 'rollout-browser-token-7';

test('dashboard in chromium on a real canary: the abort button aborts the stored rollout, the champion answers on', { timeout: 90_000 }, async (t) => {
  const stores = await world(t, await sqliteBackend.url(t), ['a', 'b'], [0.8, 0.9]);
  const srv = await rolloutServer(t, stores, { app: { predictionStore: stores.predictions, dashboard: { adminToken: TOKEN, storeRefreshMs: 300 } } });
  await start(stores, { strategy: 'canary', steps: [{ weight: 50 }, { pause: {} }, { promote: true }] });
  await srv.sync();
  const variants = new Set<string | null>();
  for (let i = 0; i < 40; i++) {
    const a = await predict(srv.url, `user-${i}`);
    assert.equal(a.status, 200);
    variants.add(a.variant);
  }
  assert.deepEqual([...variants].sort(), ['canary', 'stable'], 'both variants answer at weight 50');
  await srv.sync();

  const context = await launchChromium(t);
  const page = await context.newPage();
  const problems = watchPage(page);
  page.on('dialog', (d) => void d.accept()); // the page asks "abort the rollout of food101?"
  await page.goto(`${srv.url}/dashboard`);
  await page.waitForSelector('#rollout-phase[data-phase="paused"], #rollout-phase[data-phase="progressing"]', { timeout: 10_000 });
  await page.screenshot({ path: path.join(repoRoot, 'outputs/dashboard-canary.png'), fullPage: true });

  await page.locator('#actor').fill('ana');
  await page.locator('#token').fill(TOKEN);
  await page.click('#unlock');
  const taken = page.waitForResponse((r) => r.url().endsWith('/dashboard/api/rollout/abort'));
  await page.click('button[data-action="abort"]');
  assert.equal((await taken).status(), 200);
  await page.waitForSelector('#rollout-phase[data-phase="aborted"]', { timeout: 10_000 });

  const state = (await stores.rollouts.latest('food101'))!;
  assert.equal(state.phase, 'aborted');
  const events = await stores.rollouts.events(state.id);
  assert.ok(events.some((e) => e.kind === 'aborted' && e.actor === 'ana'), JSON.stringify(events));
  assert.equal((await stores.registry.aliases('food101')).champion, 1, 'the champion is untouched');
  await srv.sync();
  for (let i = 0; i < 5; i++) {
    const a = await predict(srv.url, `user-${i}`);
    assert.equal(a.status, 200);
    assert.equal(a.version, 1, 'every user is back on the champion');
  }
  assert.deepEqual(problems, [], 'no console error or failed request');
});
