// The engine service's own duties (not the engine's decisions, tested in test/main/engine): here,
// closing. Launches, prefetch, the GRU, the store and profile views have their own files beside this one.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDb } from '../../../src-main/store/db';
import { createSettingsStore } from '../../../src-main/store/settings';
import { createEngineService } from '../../../src-main/core/engine-service';
import type { ActuatorSurface } from '../../../src-main/core/pipeline';
import { fixtureProcess, fixtureSample } from '../../helpers/sample-fixture';
import { SERVICE_MIGRATIONS, refusingActuator } from './fixtures/engine';

describe('engine service: closing', () => {
  it('refuses mode changes and advice once closing, and runs no tick after close', async () => {
    const dir = mkdtempSync(join(process.cwd(), 'test-artifacts-prefetch-'));
    const db = openDb({ path: join(dir, 'a.db'), migrations: SERVICE_MIGRATIONS });
    try {
      let applied = 0;
      const counting: ActuatorSurface = { ...refusingActuator, apply: async (...args) => (applied++, refusingActuator.apply(...args)) };
      const service = createEngineService({ db, settings: createSettingsStore(db), actuator: counting, now: () => 1_763_700_000_000 });
      await service.close();
      await expect(service.setMode('auto')).rejects.toThrow(/stopping/);
      await expect(service.pause(60)).rejects.toThrow(/stopping/);
      expect(await service.applyAdvice('anything')).toEqual({ kind: 'invalid', message: 'Allot is stopping' });
      expect(await service.step(fixtureSample([fixtureProcess({ cpuPercent: 99 })]))).toBeNull();
      expect(applied).toBe(0);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
