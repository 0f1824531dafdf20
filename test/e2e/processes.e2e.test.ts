// End to end: the built `allot serve` against real processes, driven in Debian's Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startServe, type Served } from '../helpers/serve';
import { ARTIFACTS_DIR, launchBrowser } from '../helpers/browser';

describe('Processes view in Chromium against allot serve', () => {
  let served: Served;
  let browser: Browser;
  let page: Page;
  let probe: ChildProcess;
  let dir: string;
  // A uniquely named process: a copy of sleep, so its comm is our name.
  const probeName = `allotprobe${process.pid % 10000}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'allot-e2e-'));
    copyFileSync('/bin/sleep', join(dir, probeName));
    probe = spawn(join(dir, probeName), ['600'], { stdio: 'ignore' });
    served = await startServe();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    probe?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the spawned process, sorts and filters', async () => {
    await page.goto(served.url);
    const row = page.locator(`[role="row"][data-pid="${probe.pid}"]`);
    // Live: the process is found by name through the search box.
    await page.getByLabel('Search processes').fill(probeName);
    await expect.poll(async () => row.count(), { timeout: 15_000 }).toBe(1);
    expect(await row.locator('[data-column="name"]').textContent()).toBe(probeName);
    expect(await page.locator('.process-scroll [role="row"]').count()).toBe(1);
    await page.screenshot({ path: `${ARTIFACTS_DIR}/processes-filtered.png` });

    // Clearing the filter brings everything back; the header shows totals.
    await page.getByLabel('Search processes').fill('');
    await expect.poll(async () => page.locator('.process-scroll [role="row"]').count()).toBeGreaterThan(5);
    expect(await page.getByTestId('total-cpu').textContent()).toMatch(/CPU\d+(\.\d)?%/);
    expect(await page.getByTestId('total-memory').textContent()).toMatch(/Memory[\d.]+ \w+ \/ [\d.]+ \w+/);

    // Sorting by PID ascending, then descending, orders the rendered rows.
    const pids = async (): Promise<number[]> =>
      // Value cells are drawn on the table's canvas; each cell element carries its value as aria-label.
      (await page.locator('.process-scroll [role="row"] [data-column="pid"]').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('aria-label')))).map(Number);
    await page.locator('button[data-column="pid"]').click();
    await expect.poll(async () => page.locator('[role="columnheader"][aria-sort="descending"] button[data-column="pid"]').count()).toBe(1);
    let seen = await pids();
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    await page.locator('button[data-column="pid"]').click();
    await expect.poll(async () => page.locator('[role="columnheader"][aria-sort="ascending"] button[data-column="pid"]').count()).toBe(1);
    seen = await pids();
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen[0]).toBe(1);

    // Sort by name and make sure the table is virtualized: far fewer DOM rows than processes.
    await page.locator('button[data-column="name"]').click();
    const names = await page.locator('.process-scroll [role="row"] [data-column="name"]').allTextContents();
    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
    for (let i = 1; i < names.length; i++) expect(collator.compare(names[i - 1]!, names[i]!)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${ARTIFACTS_DIR}/processes.png` });
  });

  it('draws value cells on the canvas, with the values as aria-labels, in the theme of the page', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(served.url);
    await page.getByLabel('Search processes').fill(probeName);
    const row = page.locator(`[role="row"][data-pid="${probe.pid}"]`);
    await expect.poll(async () => row.count(), { timeout: 15_000 }).toBe(1);
    // The element carries the value for readers; the text itself is drawn, not in the DOM.
    const pidCell = row.locator('[data-column="pid"]');
    expect(await pidCell.getAttribute('aria-label')).toBe(String(probe.pid));
    expect(await pidCell.textContent()).toBe('');
    /** Opaque pixels the canvas holds inside the row's cell `column`: how many, and their mean brightness 0..255. */
    // Page code as a string: this file is typed for Node, without DOM globals.
    const ink = (column: string) =>
      page.evaluate<{ count: number; brightness: number }>(`(() => {
        const canvas = document.querySelector('.process-canvas');
        const cell = document.querySelector('[role="row"][data-pid="${probe.pid}"] [data-column="${column}"]');
        const c = canvas.getBoundingClientRect();
        const r = cell.getBoundingClientRect();
        const scale = canvas.width / c.width;
        const data = canvas.getContext('2d').getImageData(Math.round((r.left - c.left) * scale), Math.round((r.top - c.top) * scale), Math.round(r.width * scale), Math.round(r.height * scale)).data;
        let count = 0;
        let brightness = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3] < 200) continue;
          count++;
          brightness += (data[i] + data[i + 1] + data[i + 2]) / 3;
        }
        return { count, brightness: count ? brightness / count : 0 };
      })()`);
    const light = await ink('pid');
    expect(light.count).toBeGreaterThan(10);
    expect(light.brightness).toBeLessThan(100);
    // The name is DOM text: the canvas holds nothing over it.
    expect((await ink('name')).count).toBe(0);
    // Dark theme: the same cell is drawn again in the dark palette's light text.
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(async () => (await ink('pid')).brightness).toBeGreaterThan(150);
    await page.emulateMedia({ colorScheme: 'light' });
    // Hiding a column in a table wider than its columns' minimum widths: the table keeps its width
    // and the flexible name column widens over where values were drawn; nothing old may stay there.
    await page.setViewportSize({ width: 2200, height: 800 });
    await expect.poll(async () => (await ink('pid')).count).toBeGreaterThan(10);
    await page.getByRole('button', { name: 'Columns' }).click();
    await page.getByRole('group', { name: 'Choose columns' }).getByLabel('Command line').uncheck();
    await page.getByRole('button', { name: 'Columns' }).click();
    await expect.poll(async () => page.locator('[role="columnheader"] button[data-column="cmdline"]').count()).toBe(0);
    expect((await ink('name')).count).toBe(0);
    expect((await ink('pid')).count).toBeGreaterThan(10);
  });
});
