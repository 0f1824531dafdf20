// Memory pressure for bench:responsiveness: holds argv[2] MiB in 1 MiB buffers and keeps touching
// them (one page in each per pass, 10 passes a second), so the memory stays resident and competes
// for the page cache the way a big browser or VM does.
const mib = Number(process.argv[2] ?? '256');
const blocks = Array.from({ length: mib }, () => Buffer.alloc(1024 * 1024, 1));
setInterval(() => {
  for (const b of blocks) for (let off = 0; off < b.length; off += 4096) b[off] = (b[off] + 1) & 0xff;
}, 100);
