// Benchmark worker: runs the Linux collector at a fixed interval and posts every Sample to the
// parent, as the app's sampler worker does. Started by collector.bench.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { createLinuxSampler } from '../../src-main/monitor/sampler.linux';

const { intervalMs, ticks } = workerData as { intervalMs: number; ticks: number };
const sampler = createLinuxSampler();
let done = 0;
const timer = setInterval(() => {
  void sampler.sample().then((sample) => {
    parentPort!.postMessage({ type: 'sample', processCount: sample.processes.length, collectCpuMs: sample.collectCpuMs, sample });
    if (++done >= ticks) {
      clearInterval(timer);
      sampler.close();
      parentPort!.postMessage({ type: 'done' });
    }
  });
}, intervalMs);
