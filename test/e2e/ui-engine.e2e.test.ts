// End to end: the Engine, Rules and History views, the Performance view's history ranges and the
// details pane's profile, in Debian's Chromium against the built `allot serve`, with live data;
// screenshots of each in light and dark go to test-artifacts/. The rules editor refuses an invalid
// file with its line number and the file in force stays as it was; a viewer sees the engine's
// controls disabled with the reason, and the agent refuses a viewer token that acts anyway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServe, type Served } from '../helpers/serve';
import { ARTIFACTS_DIR, launchBrowser } from '../helpers/browser';

describe('engine, rules and history views in Chromium against allot serve', () => {
  let served: Served;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    served = await startServe();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(served.url);
    await page.locator('.process-scroll [role="row"]').first().waitFor({ timeout: 20_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  const openView = async (target: Page, id: string): Promise<void> => {
    await target.locator(`[data-view="${id}"]`).click();
    await expect.poll(async () => target.locator(`[data-view="${id}"][aria-current="page"]`).count()).toBe(1);
  };

  it('engine view: live state, mode switch, pause and resume, forecast; screenshots', async () => {
    await openView(page, 'engine');
    const advise = page.getByRole('button', { name: 'Advise', exact: true });
    await expect.poll(async () => advise.isEnabled(), { timeout: 15_000 }).toBe(true);
    // The foreground line says either a pid or why it cannot be detected here.
    await expect.poll(async () => page.getByTestId('foreground').textContent()).toMatch(/PID \d+|not detected: .+/);
    // A live engine report arrived: the system forecast table or the last-tick timing.
    await expect.poll(async () => page.getByRole('table', { name: 'System forecast' }).count(), { timeout: 20_000 }).toBe(1);
    await advise.click();
    await expect.poll(async () => advise.getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'Pause for 1 hour' }).click();
    await expect.poll(async () => page.getByTestId('effective-mode').textContent()).toMatch(/off \(paused until/);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(async () => page.getByTestId('effective-mode').textContent()).toMatch(/^advise/);
    await page.waitForTimeout(3000); // a few reports: accuracy rows, events
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      // The theme follows the OS live (setting "system"), and the page really is dark then.
      await expect.poll(async () => page.locator('html').getAttribute('data-theme')).toBe(colorScheme);
      const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
      expect(background).toBe(colorScheme === 'dark' ? 'rgb(22, 24, 29)' : 'rgb(246, 247, 249)');
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-engine-${colorScheme}.png` });
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(pageErrors).toEqual([]);
  });

  it('rules editor: an invalid file is refused with its line number and nothing changes', async () => {
    await openView(page, 'rules');
    const editor = page.getByRole('textbox', { name: 'Rules file (JSON)' });
    await expect.poll(async () => (await editor.inputValue()).length, { timeout: 10_000 }).toBeGreaterThan(100);
    const original = await editor.inputValue();
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-rules-${colorScheme}.png` });
    }
    await page.emulateMedia({ colorScheme: 'light' });
    // Break one value: the threshold control's field would refuse it, so edit the JSON directly.
    const broken = original.replace(/"version":\s*1/, '"version": 7');
    expect(broken).not.toBe(original);
    const line = broken.split('\n').findIndex((l) => l.includes('"version": 7')) + 1;
    await editor.fill(broken);
    await expect.poll(async () => page.getByTestId('rules-validation').textContent()).toMatch(new RegExp(`Invalid, line ${line}, column \\d+ \\(version\\)`));
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => page.getByTestId('rules-refusal').textContent(), { timeout: 10_000 }).toMatch(new RegExp(`line ${line}`));
    await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-rules-invalid.png` });
    // Nothing changed: a fresh page reads the file in force as before.
    const other = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await other.goto(served.url);
      await openView(other, 'rules');
      const fresh = other.getByRole('textbox', { name: 'Rules file (JSON)' });
      await expect.poll(async () => (await fresh.inputValue()).length, { timeout: 10_000 }).toBeGreaterThan(100);
      expect(await fresh.inputValue()).toBe(original);
    } finally {
      await other.close();
    }
    await page.getByRole('button', { name: 'Revert' }).click();
    expect(await editor.inputValue()).toBe(original);
  });

  it('history view: top programs, a program chart, hour-of-week heat map and profile; screenshots', async () => {
    await openView(page, 'history');
    await page.getByRole('button', { name: '1 h' }).click();
    const firstProgram = page.locator('.top-programs tbody tr').first();
    // History is written in batches (every 30 s of samples): refresh until the first batch is in.
    await expect.poll(
      async () => {
        if ((await firstProgram.count()) === 0) await page.getByRole('button', { name: 'Refresh' }).click();
        return firstProgram.count();
      },
      { timeout: 60_000, interval: 2000 },
    ).toBe(1);
    await firstProgram.click();
    await expect.poll(async () => page.locator('table.heatmap').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.locator('table.heatmap').first().locator('td').count()).toBe(168);
    await expect.poll(async () => page.locator('.program-detail canvas').count()).toBe(2);
    await page.waitForTimeout(500);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-history-${colorScheme}.png` });
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }, 90_000);

  it('performance view: live range with the engine forecast, and a history range; screenshots', async () => {
    await openView(page, 'performance');
    await page.getByRole('button', { name: '1 min', exact: true }).click();
    await expect.poll(async () => page.getByRole('img', { name: 'CPU total, %' }).count(), { timeout: 15_000 }).toBe(1);
    await page.waitForTimeout(1500);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-performance-1m-${colorScheme}.png` });
    }
    await page.getByRole('button', { name: '1 h', exact: true }).click();
    await expect.poll(async () => page.getByRole('img', { name: 'CPU total, %' }).count(), { timeout: 15_000 }).toBe(1);
    await page.waitForTimeout(500);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-performance-1h-${colorScheme}.png` });
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('button', { name: '10 min', exact: true }).click();
  });

  it('processes: the details pane shows the program profile and forecast sections; the menu offers Set tier', async () => {
    await openView(page, 'processes');
    await page.getByLabel('Search processes').fill('node');
    const row = page.locator('.process-scroll [role="row"]').first();
    await row.click();
    const pane = page.locator('.details-pane');
    await expect.poll(async () => pane.getByRole('region', { name: 'Profile' }).count()).toBe(1);
    await expect.poll(async () => pane.getByRole('region', { name: 'Profile' }).textContent(), { timeout: 10_000 }).not.toMatch(/Loading/);
    expect(await pane.getByRole('region', { name: 'Forecast' }).count()).toBe(1);
    await row.click({ button: 'right' });
    expect(await page.getByRole('menuitem', { name: 'Set tier…' }).count()).toBe(1);
    await page.getByRole('menuitem', { name: 'Set tier…' }).click();
    expect(await page.getByRole('combobox', { name: 'Tier' }).count()).toBe(1);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-override-tier-${colorScheme}.png` });
    }
    await page.getByRole('button', { name: 'Cancel' }).click();
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-processes-profile-${colorScheme}.png` });
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByLabel('Search processes').fill('');
  });

  it('a viewer sees the engine controls disabled with the reason, and the agent refuses a viewer that acts anyway', async () => {
    const viewerUrl = /Read-only \(viewer\): (\S+)/.exec(served.output())?.[1];
    expect(viewerUrl).toBeDefined();
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await viewer.goto(viewerUrl!);
      await openView(viewer, 'engine');
      await viewer.getByTestId('act-blocked').waitFor({ timeout: 15_000 });
      expect(await viewer.getByTestId('act-blocked').textContent()).toMatch(/mode, profile and pause cannot be changed here: Read-only/);
      const off = viewer.getByRole('button', { name: 'Off', exact: true });
      await expect.poll(async () => off.isDisabled()).toBe(true);
      expect(await off.getAttribute('title')).toMatch(/viewer URL/);
      expect(await viewer.getByRole('combobox', { name: 'Profile' }).isDisabled()).toBe(true);
      expect(await viewer.getByRole('button', { name: /Pause for 1 hour|Resume/ }).isDisabled()).toBe(true);
      await viewer.screenshot({ path: `${ARTIFACTS_DIR}/ui-engine-viewer-read-only.png` });
      // The controls are a courtesy: the agent itself refuses a viewer token that acts.
      const token = new URL(viewerUrl!).searchParams.get('token');
      const response = await fetch(`${served.origin}/api/engine.setMode`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'off' }),
      });
      expect(response.status).toBe(403);
    } finally {
      await viewer.close();
    }
  });
});
