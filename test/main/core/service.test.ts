import { describe, expect, it } from 'vitest';
import { createCore } from '../../../src-main/core/service';
import { createInlineSampleSource } from '../../../src-main/core/sample-source';
import type { Sampler } from '../../../src-main/monitor/types';
import { fixtureSample } from '../../helpers/sample-fixture';

const until = async (cond: () => boolean) => {
  for (let waited = 0; !cond() && waited < 10_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('core service: early sight of launches', () => {
  it('runs the launch watch while it runs, and a launch it reports brings the next sample forward', async () => {
    let samples = 0;
    const sampler: Sampler = {
      name: 'counting',
      info: async () => ({ platform: 'linux', hostname: 'h', osRelease: 'r', cpuModel: 'c', logicalCores: 1, totalMemoryBytes: 1 }),
      sample: async () => {
        samples++;
        return fixtureSample();
      },
      close: () => undefined,
    };
    const watch = { started: 0, stopped: 0, wake: undefined as (() => void) | undefined };
    const core = createCore({
      source: createInlineSampleSource(sampler),
      runtime: 'node',
      version: '0.0.0',
      intervalMs: 60_000, // the regular second sample is a minute away
      launchWatch: (wake) => {
        watch.wake = wake;
        return { start: () => void watch.started++, stop: () => void watch.stopped++ };
      },
    });
    let ticks = 0;
    core.on('tick', () => ticks++);
    await core.start();
    expect(watch.started).toBe(1);
    await until(() => ticks === 1);
    watch.wake!(); // a watched program started
    await until(() => ticks === 2);
    expect(ticks).toBe(2);
    expect(samples).toBe(2);
    await core.stop();
    expect(watch.stopped).toBe(1);
  });

  it('starts no watch when the platform has none', async () => {
    const sampler: Sampler = {
      name: 'counting',
      info: async () => ({ platform: 'win32', hostname: 'h', osRelease: 'r', cpuModel: 'c', logicalCores: 1, totalMemoryBytes: 1 }),
      sample: async () => fixtureSample(),
      close: () => undefined,
    };
    let asked = 0;
    const core = createCore({ source: createInlineSampleSource(sampler), runtime: 'node', version: '0.0.0', launchWatch: () => void asked++ });
    await core.start(); // a factory that returns nothing is fine
    await core.stop();
    expect(asked).toBe(1);
  });
});
