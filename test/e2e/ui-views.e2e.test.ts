// End to end: every view of the built renderer against the built `allot serve`, in Debian's Chromium,
// with screenshots of each view in light and dark to test-artifacts/. The override-dialog test lowers
// the priority of a process this test spawned and reads /proc to check it, then undoes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startServe, type Served } from '../helpers/serve';
import { ARTIFACTS_DIR, launchBrowser } from '../helpers/browser';

/** Nice value of a process from /proc/PID/stat (field 19). */
function procNice(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[16]);
}

describe('UI views in Chromium against allot serve', () => {
  let served: Served;
  let browser: Browser;
  let page: Page;
  let probe: ChildProcess;
  let dir: string;
  const probeName = `allotui${process.pid % 10000}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'allot-ui-e2e-'));
    copyFileSync('/bin/sleep', join(dir, probeName));
    probe = spawn(join(dir, probeName), ['600'], { stdio: 'ignore' });
    served = await startServe();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(served.url);
    await page.locator('.process-scroll [role="row"]').first().waitFor({ timeout: 20_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    probe?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const openView = async (id: string): Promise<void> => {
    await page.locator(`[data-view="${id}"]`).click();
    await expect.poll(async () => page.locator(`[data-view="${id}"][aria-current="page"]`).count()).toBe(1);
  };

  it('each view renders with live data, screenshotted in light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });

      await openView('processes');
      await expect.poll(async () => page.getByTestId('connection-state').textContent()).toBe('Live');
      await expect.poll(async () => Number(await page.getByTestId('process-count').locator('.value').textContent())).toBeGreaterThan(5);
      await page.locator(`[role="row"][data-pid="${probe.pid}"]`).count(); // may be scrolled out; search below finds it
      await page.getByLabel('Search processes').fill(probeName);
      await expect.poll(async () => page.locator(`[role="row"][data-pid="${probe.pid}"]`).count(), { timeout: 15_000 }).toBe(1);
      await page.locator(`[role="row"][data-pid="${probe.pid}"]`).click();
      await expect.poll(async () => page.getByRole('complementary', { name: `Details of ${probeName}` }).count()).toBe(1);
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-processes-details-${colorScheme}.png` });
      await page.getByLabel('Search processes').fill('');
      await page.getByRole('button', { name: 'Tree' }).click();
      await expect.poll(async () => page.locator('[role="treegrid"] [aria-level="2"]').count()).toBeGreaterThan(0);
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-processes-tree-${colorScheme}.png` });
      await page.getByRole('button', { name: 'Programs' }).click();
      await expect.poll(async () => page.locator('.process-row.group').count()).toBeGreaterThan(0);
      await page.getByRole('button', { name: 'List' }).click();
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-processes-${colorScheme}.png` });

      await openView('performance');
      await expect.poll(async () => page.getByRole('img', { name: 'CPU total, %' }).count(), { timeout: 15_000 }).toBe(1);
      await page.waitForTimeout(2500); // a few more points
      expect(await page.locator('canvas').count()).toBeGreaterThanOrEqual(4);
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-performance-${colorScheme}.png` });

      await openView('changes');
      await expect.poll(async () => page.getByRole('table', { name: 'Changes' }).count()).toBe(1);
      await expect.poll(async () => page.getByRole('table', { name: 'Audit log' }).count()).toBe(1);
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-changes-${colorScheme}.png` });

      await openView('settings');
      await expect.poll(async () => page.getByLabel('Sampling interval (ms)').count(), { timeout: 10_000 }).toBe(1);
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-settings-${colorScheme}.png` });
    }
  });

  it('settings: an invalid interval is refused with the server message next to the field', async () => {
    await openView('settings');
    const input = page.getByLabel('Sampling interval (ms)');
    await input.fill('100');
    await input.press('Enter');
    const error = page.locator('[data-setting="intervalMs"] .field-error');
    await expect.poll(async () => error.count(), { timeout: 10_000 }).toBe(1);
    expect((await error.textContent())?.length).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-settings-invalid.png` });
  });

  /** The probe's row, found by search, and its override dialog opened from the context menu. */
  async function openPriorityDialog(): Promise<void> {
    await openView('processes');
    await page.getByLabel('Search processes').fill(probeName);
    const row = page.locator(`[role="row"][data-pid="${probe.pid}"]`);
    await expect.poll(async () => row.count(), { timeout: 15_000 }).toBe(1);
    await row.click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Set priority…' }).click();
  }

  it('override dialog: an invalid value is refused with a message', async () => {
    await openPriorityDialog();
    await page.getByLabel(/^Nice/).fill('40');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => page.locator('[data-error="priority"]').textContent()).toMatch(/-20/);
    await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-override-invalid.png` });
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(procNice(probe.pid!)).toBe(0);
  });

  it('override dialog lowers the priority of a spawned process (checked in /proc) and undo restores it', async () => {
    await openPriorityDialog();
    await page.getByLabel(/^Nice/).fill('12');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => page.getByRole('list', { name: 'Results' }).textContent(), { timeout: 10_000 }).toMatch(/Applied/);
    await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-override-applied.png` });
    expect(procNice(probe.pid!)).toBe(12);
    await page.getByRole('button', { name: 'Close', exact: true }).click();

    await openView('changes');
    const undo = page.getByRole('button', { name: new RegExp(`^Undo change \\d+ \\(Priority on ${probeName}\\)`) });
    await expect.poll(async () => undo.count(), { timeout: 10_000 }).toBe(1);
    await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-changes-in-force.png` });
    await undo.click();
    await expect.poll(() => procNice(probe.pid!), { timeout: 10_000 }).toBe(0);
  });
});
