// The façade (src-main/store/history/index.ts): createHistory checks its tiers and append never throws.
import { afterEach, describe, expect, it } from 'vitest';
import { createHistory } from '../../../../src-main/store/history';
import type { Sample } from '../../../../src-shared/domain';
import { T0, TIERS, closeDbs, memDb, sampleWith } from '../fixtures/history';

afterEach(closeDbs);

describe('createHistory', () => {
  it('refuses inconsistent tiers', () => {
    expect(() => createHistory({ db: memDb(), intervalMs: 1000, tiers: [{ bucketMs: 10, retentionMs: 1 }] })).toThrow(/bucketMs/);
  });

  it('never throws from append, even for a broken sample', () => {
    const db = memDb();
    const history = createHistory({ db, intervalMs: 1000, tiers: TIERS, maintenanceEveryMs: Infinity });
    expect(() => history.append({ at: T0 } as unknown as Sample)).not.toThrow();
    expect(() => history.append(sampleWith(T0 + 1000, 5))).not.toThrow();
    expect(history.ring.latest()?.at).toBe(T0 + 1000);
  });
});
