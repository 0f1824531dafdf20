// Latency probe for bench:responsiveness: like a UI frame loop, every 25-33 ms it does a fixed burst of
// CPU work and records the burst's wall time. Usage:
//   node probe.mjs <seconds> <iterations|calibrate>
// With "calibrate" it first finds the iteration count that takes about 4 ms on an idle core.
// Prints one JSON line at the end: { iterations, bursts: [[startEpochMs, wallMs], ...] }.
const seconds = Number(process.argv[2] ?? '10');
let iterations = process.argv[3] === 'calibrate' || process.argv[3] === undefined ? 0 : Number(process.argv[3]);

let sink = 0;
function work(n) {
  let x = sink;
  for (let i = 0; i < n; i++) x = (x * 1103515245 + 12345 + i) % 2147483647;
  sink = x;
}

if (!iterations) {
  let n = 100_000;
  for (let round = 0; round < 12; round++) {
    const t0 = performance.now();
    work(n);
    const ms = performance.now() - t0;
    n = Math.max(1000, Math.round((n * 4) / Math.max(0.05, ms)));
  }
  // Best of several timed runs, so a preemption during calibration does not skew it.
  let best = Infinity;
  for (let k = 0; k < 10; k++) {
    const t0 = performance.now();
    work(n);
    best = Math.min(best, performance.now() - t0);
  }
  iterations = Math.max(1000, Math.round((n * 4) / best));
}

const bursts = [];
const end = Date.now() + seconds * 1000;
function frame() {
  const startEpoch = Date.now();
  const t0 = performance.now();
  work(iterations);
  const wall = performance.now() - t0;
  bursts.push([startEpoch, Math.round(wall * 1000) / 1000]);
  if (Date.now() >= end) {
    process.stdout.write(`${JSON.stringify({ iterations, bursts, sink: sink % 7 })}\n`);
    return;
  }
  const gap = 25 + Math.random() * 8;
  const next = Math.max(0, gap - (performance.now() - t0));
  setTimeout(frame, next);
}
setTimeout(frame, 50);
