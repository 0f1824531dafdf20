// CPU hog for bench:responsiveness: spins forever, counting loop iterations, and writes
// "<pid> <iterations>" to the file named by argv[2] every 200 ms (the bench reads throughput from it).
import { renameSync, writeFileSync } from 'node:fs';
const out = process.argv[2];
let count = 0;
let x = 1;
let last = Date.now();
for (;;) {
  for (let i = 0; i < 100_000; i++) x = (x * 48271) % 2147483647;
  count++;
  const now = Date.now();
  if (now - last >= 200) {
    last = now;
    // Write then rename, so a reader never sees a half-written file.
    writeFileSync(`${out}.tmp`, `${process.pid} ${count} ${x % 3}\n`);
    renameSync(`${out}.tmp`, out);
  }
}
