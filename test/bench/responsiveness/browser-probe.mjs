// Browser-like interactive probe for bench:responsiveness: every 16-20 ms (a 60 Hz frame) it does a
// fixed mix of what a page's frame does (parse and stringify a JSON payload, build and join strings,
// allocate short-lived objects, a little arithmetic "layout") and records the frame's wall time.
// Usage: node browser-probe.mjs <seconds> <rounds|calibrate>. Prints one JSON line at the end:
// { iterations, bursts: [[startEpochMs, wallMs], ...] } (iterations = rounds per frame).
const seconds = Number(process.argv[2] ?? '10');
let rounds = process.argv[3] === 'calibrate' || process.argv[3] === undefined ? 0 : Number(process.argv[3]);
const payload = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ id: i, name: `row ${i}`, cpu: i * 0.37, tags: ['a', 'b', String(i)] })));
let sink = 0;
function frameWork(n) {
  for (let r = 0; r < n; r++) {
    const rows = JSON.parse(payload);
    let html = '';
    for (const row of rows) html += `<tr><td>${row.name}</td><td>${row.cpu.toFixed(1)}</td></tr>`;
    const boxes = rows.map((row, i) => ({ x: (i % 10) * 12.5, y: Math.floor(i / 10) * 18, w: row.cpu + 10 }));
    sink = (sink + html.length + boxes.reduce((s, b) => s + b.x * b.y + b.w, 0)) % 1e9;
  }
}
if (!rounds) {
  // Warm up, then the fastest of several timed frames of one round (a preemption only makes one slower).
  frameWork(50);
  let best = Infinity;
  for (let k = 0; k < 20; k++) {
    const t0 = performance.now();
    frameWork(1);
    best = Math.min(best, performance.now() - t0);
  }
  rounds = Math.max(1, Math.round(4 / best));
}
const bursts = [];
const end = Date.now() + seconds * 1000;
function frame() {
  const startEpoch = Date.now();
  const t0 = performance.now();
  frameWork(rounds);
  const wall = performance.now() - t0;
  bursts.push([startEpoch, Math.round(wall * 1000) / 1000]);
  if (Date.now() >= end) {
    process.stdout.write(`${JSON.stringify({ iterations: rounds, bursts, sink: sink % 7 })}\n`);
    return;
  }
  setTimeout(frame, Math.max(0, 16 + Math.random() * 4 - (performance.now() - t0)));
}
setTimeout(frame, 50);
