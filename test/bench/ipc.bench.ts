// IPC benchmark: what one tick of 1,000 processes costs to move from the Electron main process to
// the page, whole versus as a process delta (src-shared/process-delta.ts). Electron's IPC and the
// context bridge copy values with V8's structured clone, the serializer node:v8 exposes, so each
// tick here is serialized and deserialized once; in the app it is cloned twice (to the preload,
// then into the page). The ticks come from the UI benchmark's realistic source (5 % busy, memory
// drifting, 2 processes starting and 2 exiting per tick).
//
//   npx tsx test/bench/ipc.bench.ts      (IPC_BENCH_TICKS=200 by default)
import { deserialize, serialize } from 'node:v8';
import type { Sample } from '../../src-shared/domain';
import { ProcessDeltaEncoder } from '../../src-shared/process-delta';
import { createRealisticSource } from './ui.bench';

const TICKS = Number(process.env['IPC_BENCH_TICKS'] ?? 200);
const WARMUP = 20;

async function main(): Promise<void> {
  const source = createRealisticSource(1000);
  const samples: Sample[] = [];
  await source.start(1, (sample) => samples.push(sample), () => undefined);
  while (samples.length < TICKS + WARMUP) await new Promise((resolve) => setTimeout(resolve, 5));
  await source.stop();
  const encoder = new ProcessDeltaEncoder();
  const totals = { fullMs: 0, fullBytes: 0, deltaMs: 0, deltaBytes: 0, encodeMs: 0 };
  samples.slice(0, TICKS + WARMUP).forEach((sample, seq) => {
    const t0 = performance.now();
    const whole = serialize({ seq, sample });
    deserialize(whole);
    const t1 = performance.now();
    const delta = encoder.encode(sample.processes);
    encoder.commit(delta);
    const t2 = performance.now();
    const message = {
      tick: { seq, sample: { ...sample, processes: [] } },
      processes: { changed: delta.changedIndexes.map((index) => sample.processes[index]), removed: delta.removed, count: delta.count },
      complete: false,
    };
    const part = serialize(message);
    deserialize(part);
    const t3 = performance.now();
    if (seq < WARMUP) return;
    totals.fullMs += t1 - t0;
    totals.fullBytes += whole.length;
    totals.encodeMs += t2 - t1;
    totals.deltaMs += t3 - t2;
    totals.deltaBytes += part.length;
  });
  const per = (value: number): string => (value / TICKS).toFixed(2);
  const kib = (value: number): string => (value / TICKS / 1024).toFixed(0);
  console.log(`IPC benchmark: ${TICKS} ticks of 1,000 processes (realistic), one structured clone each`);
  console.log(`  whole tick   ${per(totals.fullMs)} ms per clone, ${kib(totals.fullBytes)} KiB`);
  console.log(`  delta tick   ${per(totals.deltaMs)} ms per clone, ${kib(totals.deltaBytes)} KiB, plus ${per(totals.encodeMs)} ms to encode in main`);
  console.log(`  ratio        delta/whole clone time ${(totals.deltaMs / totals.fullMs).toFixed(2)}x, bytes ${(totals.deltaBytes / totals.fullBytes).toFixed(2)}x`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
