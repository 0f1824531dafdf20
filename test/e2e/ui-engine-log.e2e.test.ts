// End to end: the Engine view is never empty on open. Against the built `allot serve` (Advise), a
// rule lowers a sleeping child of this test; the engine advises it, an operator applies the advice
// through the API, and only then a fresh page (the viewer URL, read-only) opens the Engine view: it
// lists that decision with its result, though it saw none of it live. Screenshot to test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServe, type Served } from '../helpers/serve';
import { ARTIFACTS_DIR, launchBrowser } from '../helpers/browser';
import { niceOf, spawnOrphan } from '../helpers/proc';
import type { EngineLogPage } from '../../src-shared/report';

/** A sleep with an argument nobody else uses, for the rule to find. */
const MARKER = '3123.4567';

describe('engine log in Chromium against allot serve', () => {
  let served: Served;
  let browser: Browser;
  let child: ReturnType<typeof spawnOrphan>;

  const api = async <T,>(channel: string, body: unknown, token = served.token): Promise<T> => {
    const response = await fetch(`${served.origin}/api/${channel}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${channel}: ${response.status} ${text}`);
    const parsed = JSON.parse(text) as { ok?: boolean; value?: T } | T;
    return parsed && typeof parsed === 'object' && 'ok' in parsed && 'value' in parsed ? (parsed.value as T) : (parsed as T);
  };

  beforeAll(async () => {
    child = spawnOrphan('sleep', [MARKER]);
    served = await startServe();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    child?.kill();
  });

  it('a fresh page opens the Engine view and sees the decision made before it was open', async () => {
    // A rule for the child, first in the file and in every profile that lists its rules.
    const { text } = await api<{ text: string }>('rules.get', {});
    const file = JSON.parse(text) as { rules: unknown[]; profiles: Array<{ rules: string[] | '*' }> };
    file.rules.unshift({ id: 'e2e-engine-log', enabled: true, match: { name: 'sleep', cmdline: MARKER }, action: { nice: 7 } });
    for (const profile of file.profiles) if (Array.isArray(profile.rules)) profile.rules.unshift('e2e-engine-log');
    expect(await api('rules.set', { text: JSON.stringify(file, null, 2) })).toMatchObject({ ok: true });

    // The engine advises it (Advise mode) and keeps the decision.
    const findDecision = async () => {
      const page = await api<EngineLogPage>('engine.log', { limit: 100, kinds: ['decision'] });
      return page.items.find((item) => item.kind === 'decision' && item.decision.decision.target.pid === child.pid);
    };
    let kept: Awaited<ReturnType<typeof findDecision>>;
    await expect.poll(async () => (kept = await findDecision()) !== undefined, { timeout: 20_000, interval: 500 }).toBe(true);
    const decisionId = kept!.kind === 'decision' ? kept!.decision.decision.id : '';
    // An operator applies it through the API: the kept decision carries the result.
    const applied = await api<{ kind: string; decision?: { result?: { status: string } } }>('engine.applyAdvice', { decisionId });
    expect(applied).toMatchObject({ kind: 'done', decision: { result: { status: 'applied' } } });
    expect(niceOf(child.pid)).toBe(7);
    await expect.poll(async () => {
      const item = await findDecision();
      return item?.kind === 'decision' ? item.decision.result?.status : undefined;
    }).toBe('applied');

    // A page that was not open for any of it: the viewer URL (read-only may read the log).
    const viewerUrl = /Read-only \(viewer\): (\S+)/.exec(served.output())?.[1];
    expect(viewerUrl).toBeDefined();
    const viewerToken = new URL(viewerUrl!).searchParams.get('token')!;
    expect((await api<EngineLogPage>('engine.log', { limit: 5 }, viewerToken)).items.length).toBeGreaterThan(0);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      await page.goto(viewerUrl!);
      await page.locator('[data-view="engine"]').click();
      const row = page.locator(`table[aria-label="Decisions"] tr[data-decision="${decisionId}"]`);
      await row.waitFor({ timeout: 15_000 });
      expect(await row.textContent()).toMatch(/sleep.*nice 7.*Rule "e2e-engine-log".*applied/s);
      expect(await page.locator(`tr[data-decision="${decisionId}"]`).count()).toBe(1);
      await page.waitForTimeout(1500); // a live report or two: still one line for it
      expect(await page.locator(`tr[data-decision="${decisionId}"]`).count()).toBe(1);
      await row.scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${ARTIFACTS_DIR}/ui-engine-log.png` });
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);
});
