// Honest states in the UI, in real Chromium against a real `allot serve` (issue 11 §5, §7): the
// audit log shows actions on Allot itself; a dropped connection is said over dimmed data; tokens
// survive a restart and a rotated token is a final state; a request without a token gets a page
// that explains; a viewer sees a read-only badge and acting controls disabled with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startServe, type Served } from '../helpers/serve';
import { ARTIFACTS_DIR, launchBrowser } from '../helpers/browser';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const port = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });

describe('honest states in the browser UI', () => {
  let dir: string;
  let dataDir: string;
  let port: number;
  let served: Served;
  let browser: Browser;
  let page: Page;
  const serveArgs = (...extra: string[]) => ['--data-dir', dataDir, '--port', String(port), '--no-admin-socket', ...extra];
  const viewerUrlOf = (output: string): string => /Read-only \(viewer\): (\S+)/.exec(output)![1]!;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'allot-trust-e2e-'));
    dataDir = join(dir, 'data');
    port = await freePort();
    served = await startServe(serveArgs(), {}, 'settings');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const openView = async (target: Page, id: string): Promise<void> => {
    await target.locator(`[data-view="${id}"]`).click();
    await expect.poll(async () => target.locator(`[data-view="${id}"][aria-current="page"]`).count()).toBe(1);
  };

  it('answers a request without a token with a page saying where the URL comes from', async () => {
    const bare = await fetch(`${served.origin}/`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('content-type')).toMatch(/text\/html/);
    const text = await bare.text();
    expect(text).toContain('Open the address that <code>allot serve</code> printed');
    expect(text).toContain('--new-tokens');
    // Scripts still get a short answer, not a page.
    expect((await fetch(`${served.origin}/api/app.info`, { method: 'POST' })).headers.get('content-type')).toMatch(/text\/plain/);
  });

  it('shows actions on Allot itself in the Changes view audit log, with the actor and before/after', async () => {
    const post = (channel: string, body: unknown) =>
      fetch(`${served.origin}/api/${channel}`, { method: 'POST', headers: { authorization: `Bearer ${served.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('settings.update', { agent: { metricsAccess: 'loopback' } })).status).toBe(200);
    expect((await post('engine.pause', { minutes: 5 })).status).toBe(200);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(served.url);
    await openView(page, 'changes');
    const settingsRow = page.locator('tr[data-audit-id]', { hasText: 'metricsAccess' });
    await expect.poll(async () => settingsRow.count(), { timeout: 15_000 }).toBe(1);
    expect(await settingsRow.textContent()).toContain('agent:operator');
    expect(await settingsRow.locator('.audit-values').textContent()).toMatch(/"metricsAccess":"token".*→.*"metricsAccess":"loopback"/);
    const pauseRow = page.locator('tr[data-audit-id]', { hasText: 'engine paused for 5 min' });
    expect(await pauseRow.locator('.audit-values').textContent()).toMatch(/^running → paused until /);
    await page.screenshot({ path: `${ARTIFACTS_DIR}/trust-audit-log.png` });
  });

  it('gives a viewer a read-only badge and disabled acting controls that say why', async () => {
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await viewer.goto(viewerUrlOf(served.output()));
      await viewer.getByTestId('read-only-badge').waitFor({ timeout: 15_000 });
      await openView(viewer, 'changes');
      const restore = viewer.getByRole('button', { name: 'Restore all' });
      expect(await restore.isDisabled()).toBe(true);
      expect(await restore.getAttribute('title')).toMatch(/viewer URL/);
      await openView(viewer, 'settings');
      expect(await viewer.getByTestId('act-blocked').textContent()).toMatch(/Read-only/);
      expect(await viewer.locator('fieldset.settings-form').evaluate((node) => (node as { disabled: boolean }).disabled)).toBe(true);
      expect(await viewer.locator('fieldset.settings-form input').first().isDisabled()).toBe(true);
      await viewer.screenshot({ path: `${ARTIFACTS_DIR}/trust-viewer-read-only.png` });
      // The operator page has neither.
      expect(await page.getByTestId('read-only-badge').count()).toBe(0);
    } finally {
      await viewer.close();
    }
  });

  it('says so over dimmed data while the agent is down, and reconnects with the same token after a restart', async () => {
    await openView(page, 'processes');
    await expect.poll(async () => page.getByTestId('connection-state').textContent()).toBe('Live');
    const tokenBefore = served.token;
    await served.stop();
    await page.getByTestId('connection-banner').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('connection-banner').textContent()).toMatch(/Connection to Allot lost/);
    expect(await page.locator('main.content').getAttribute('data-stale')).toBe('true');
    const frozen = await page.getByTestId('stale-since').textContent();
    await page.screenshot({ path: `${ARTIFACTS_DIR}/trust-connection-lost.png` });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await page.getByTestId('stale-since').textContent()).toBe(frozen);

    served = await startServe(serveArgs(), {}, 'settings');
    expect(served.token).toBe(tokenBefore); // kept in the data directory
    expect(statSync(join(dataDir, 'agent-tokens.json')).mode & 0o777).toBe(0o600);
    await expect.poll(async () => page.getByTestId('connection-state').textContent(), { timeout: 30_000 }).toBe('Live');
    expect(await page.getByTestId('connection-banner').count()).toBe(0);
  });

  it('treats a rotated token as final: tells the user to open the new URL and stops reconnecting', async () => {
    const oldToken = served.token;
    await served.stop();
    served = await startServe(serveArgs('--new-tokens'), {}, 'settings');
    expect(served.token).not.toBe(oldToken);
    expect(served.output()).toMatch(/New tokens written to .*agent-tokens\.json/);
    await expect.poll(async () => page.getByTestId('connection-state').textContent(), { timeout: 30_000 }).toBe('Token not accepted');
    expect(await page.getByTestId('connection-banner').textContent()).toMatch(/Open the new URL that allot serve printed/);
    await page.screenshot({ path: `${ARTIFACTS_DIR}/trust-token-rejected.png` });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await page.getByTestId('connection-state').textContent()).toBe('Token not accepted'); // final, no reconnect loop
    // The old URL now gets the explaining page.
    const old = await fetch(`${served.origin}/?token=${oldToken}`);
    expect(old.status).toBe(401);
    expect(await old.text()).toContain('no longer');
  });
});
