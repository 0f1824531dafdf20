// Issue 18, the third way: a cgroup v2 layout delegated to an ordinary user (systemd's
// user@UID.service), on a fixture tree standing in for /sys/fs/cgroup (this machine's cgroup2 mount
// has no cpu controller). The fixture behaves like cgroupfs where it matters: writing a pid to
// cgroup.procs moves that process, rmdir of a group with only interface files works, and only the
// delegated subtree is writable. The real engine path (engine, pipeline, actuator, Linux adapter)
// runs Auto with the CPU-weight lever on three real hogs, then Off and stop; every weight and group
// is read back and must be as found.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RulesFileSchema } from '../../../src-shared/rules';
import { createEngine } from '../../../src-main/engine/engine';
import { createPipeline } from '../../../src-main/core/pipeline';
import { Actuator } from '../../../src-main/platform/actuator';
import { createLinuxAdapter } from '../../../src-main/platform/adapter.linux';
import { detectCgroups, useCgroupFsForTests, type CgroupFs } from '../../../src-main/platform/cgroup.linux';
import { readStat } from '../../../src-main/platform/identity.linux';
import { Journal } from '../../../src-main/store/journal';
import { AuditLog } from '../../../src-main/store/audit';
import { proc, sample, T0 } from '../../fixtures/samples/builder';
import { killChildren, spawnBusy } from './helpers';

const SERVICE = '/user.slice/user-1000.slice/user@1000.service';
const APP = `${SERVICE}/app.slice/code.scope`;

/** A fake cgroup2 mount at `root`: membership in memory, every other file a real file. */
function fixtureCgroupFs(root: string, delegated: string, offered: string): CgroupFs & { where: Map<number, string>; tree(): string[] } {
  const where = new Map<number, string>();
  const rel = (path: string) => `/${relative(root, path)}`.replace(/\/$/, '') || '/';
  const mkdir = (path: string) => {
    mkdirSync(path);
    const parent = readFileSync(join(dirname(path), 'cgroup.subtree_control'), 'utf8').trim();
    writeFileSync(join(path, 'cgroup.controllers'), parent);
    writeFileSync(join(path, 'cgroup.subtree_control'), '');
  };
  const fs = {
    where,
    tree: () => {
      const out: string[] = [];
      const walk = (dir: string) => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          const p = join(dir, e.name);
          if (e.isDirectory()) walk(p);
          else if (!/cgroup\.(controllers|subtree_control)$/.test(e.name)) out.push(`${rel(p)}=${readFileSync(p, 'utf8')}`);
        }
      };
      walk(root);
      return [...out, ...[...where].map(([pid, g]) => `${pid}@${g}`)].sort();
    },
    readText: (path: string) => {
      if (path.endsWith('/cgroup.procs')) {
        const group = rel(dirname(path));
        return [...where].filter(([, g]) => g === group).map(([pid]) => pid).join('\n');
      }
      try {
        return readFileSync(path, 'utf8').trim();
      } catch {
        return null;
      }
    },
    write: (path: string, text: string) => {
      if (!fs.writable(path)) throw Object.assign(new Error(`EACCES: ${path}`), { code: 'EACCES' });
      if (path.endsWith('/cgroup.procs')) {
        where.set(Number(text), rel(dirname(path)));
        return;
      }
      if (path.endsWith('/cgroup.subtree_control')) {
        const have = new Set(readFileSync(path, 'utf8').split(/\s+/).filter(Boolean));
        const offers = readFileSync(join(dirname(path), 'cgroup.controllers'), 'utf8').split(/\s+/);
        for (const token of text.split(/\s+/).filter(Boolean)) {
          const name = token.slice(1);
          if (!offers.includes(name)) throw Object.assign(new Error(`ENOENT: ${name}`), { code: 'ENOENT' });
          if (token.startsWith('+')) have.add(name);
          else have.delete(name);
        }
        writeFileSync(path, [...have].join(' '));
        return;
      }
      if (!existsSync(path)) {
        // Interface files exist only for controllers the parent passes down.
        const controller = path.split('/').pop()!.split('.')[0]!;
        const enabled = readFileSync(join(dirname(path), 'cgroup.controllers'), 'utf8').split(/\s+/);
        if (!enabled.includes(controller)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      }
      writeFileSync(path, text);
    },
    mkdir: (path: string) => {
      if (!fs.writable(path)) throw Object.assign(new Error(`EACCES: ${path}`), { code: 'EACCES' });
      mkdir(path);
    },
    rmdir: (path: string) => {
      const group = rel(path);
      if ([...where.values()].includes(group) || readdirSync(path, { withFileTypes: true }).some((e) => e.isDirectory())) {
        throw Object.assign(new Error(`EBUSY: ${path}`), { code: 'EBUSY' });
      }
      rmSync(path, { recursive: true });
    },
    exists: (path: string) => existsSync(path),
    // An ordinary user: only the delegated subtree (and what Allot creates in it) is writable.
    writable: (path: string) => rel(path) === delegated || rel(path).startsWith(`${delegated}/`),
    dirs: (path: string) => readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name),
    mounts: () => `cgroup2 ${root} cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n`,
    procCgroup: (pid: number) => (readStat(pid) ? `0::${where.get(pid) ?? '/'}` : null),
  };
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids');
  writeFileSync(join(root, 'cgroup.subtree_control'), 'cpu io memory pids');
  let dir = root;
  for (const part of APP.split('/').filter(Boolean)) {
    dir = join(dir, part);
    mkdir(dir);
    // systemd delegates `offered` to user@UID.service and passes it down.
    if (rel(dir) === SERVICE) writeFileSync(join(dir, 'cgroup.controllers'), offered);
    writeFileSync(join(dir, 'cgroup.subtree_control'), rel(dir) === APP ? '' : offered);
  }
  return fs;
}

const eager = RulesFileSchema.parse({
  version: 1,
  activeProfile: 'eager',
  rules: [],
  profiles: [{ id: 'eager', name: 'Eager', rules: '*', thresholds: { systemCpuPercent: 0, processCpuPercent: 20, overForMs: 0, perProcessMinIntervalMs: 0 }, plannerEnabled: false }],
});

let root: string | undefined;
afterEach(async () => {
  useCgroupFsForTests(null);
  if (root) rmSync(root, { recursive: true, force: true });
  await killChildren();
});

async function roundtrip(offered: string) {
  root = mkdtempSync(join(tmpdir(), 'allot-cgroup2-'));
  const fs = fixtureCgroupFs(root, SERVICE, offered);
  useCgroupFsForTests(fs);
  const hogs = await Promise.all([spawnBusy(), spawnBusy(), spawnBusy()]);
  for (const h of [...hogs.map((t) => t.identity.pid), process.pid]) fs.where.set(h, APP);
  const before = fs.tree();
  const dir = mkdtempSync(join(tmpdir(), 'allot-journal-'));
  const journal = Journal.open(join(dir, 'allot.db'));
  try {
    // The hogs are this test's children; the never-touch list would protect them from Allot itself.
    const actuator = new Actuator({ adapter: createLinuxAdapter({ selfPids: [], exclusions: [] }), journal, audit: new AuditLog(journal.db) });
    const caps = actuator.adapter.capabilities();
    const engine = createEngine({ rules: eager, mode: 'auto', selfPid: process.pid });
    const pipeline = createPipeline({ engine, actuator, mode: 'auto', intents: { crossSessionWeight: true } });
    const procs = (i: number) => hogs.map((t) => proc({ pid: t.identity.pid, startTime: t.identity.startTime, name: 'node', cpuPercent: 100 + i }));
    const changes: { op: string; kind: string; reason?: string; message?: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const report = await pipeline.step(sample(T0 + i * 1000, procs(i)), {});
      for (const d of report.decisions) for (const c of d.changes ?? []) changes.push({ op: c.op, kind: c.kind, ...(c.reason ? { reason: c.reason, message: c.message } : {}) });
    }
    const during = fs.tree();
    await pipeline.setMode('off');
    await pipeline.restoreAll();
    return { before, during, after: fs.tree(), changes, caps, inForce: journal.inForce().length, nicesAfter: hogs.map((t) => readStat(t.identity.pid)?.nice) };
  } finally {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('cgroup v2 delegated to the user (fixture tree for /sys/fs/cgroup)', () => {
  it('finds the delegated subtree and says what it offers', () => {
    root = mkdtempSync(join(tmpdir(), 'allot-cgroup2-'));
    const fs = fixtureCgroupFs(root, SERVICE, 'cpu io memory pids');
    useCgroupFsForTests(fs);
    fs.where.set(process.pid, APP);
    expect(detectCgroups().backends.cpu).toMatchObject({ version: 2, mount: root });
    const caps = createLinuxAdapter({ selfPids: [], exclusions: [] }).capabilities();
    expect(caps.operations.cpuWeight).toMatchObject({ supported: true, reversibility: 'reversible', detail: expect.stringContaining(`delegated to this user: ${SERVICE}`) });
  });

  it('Auto puts the hogs in Allot groups inside user@UID.service with a cpu.weight; Off and stop remove them and every process is back where it was', async () => {
    const r = await roundtrip('cpu io memory pids');
    const weights = r.changes.filter((c) => c.op === 'cpuWeight');
    expect(weights.length).toBeGreaterThanOrEqual(3);
    expect(weights.every((c) => c.kind === 'applied')).toBe(true);
    expect(r.during.filter((line) => line.startsWith(`${SERVICE}/allot/allot-`) && line.includes('/cpu.weight='))).toHaveLength(3);
    expect(r.during.filter((line) => /^\d+@.*\/allot\/allot-\d+-\d+$/.test(line))).toHaveLength(3);
    // Every file and every membership as found (Allot's empty `allot` parent holds no setting).
    expect(r.after).toEqual(r.before);
    expect(r.nicesAfter).toEqual([0, 0, 0]);
    expect(r.inForce).toBe(0);
  }, 30_000);

  it('a delegated subtree without the cpu controller: the weight is refused with the reason and nothing moves', async () => {
    const r = await roundtrip('io memory pids');
    expect(r.caps.operations.cpuWeight).toMatchObject({ supported: false, reversibility: 'unavailable', detail: expect.stringMatching(/does not offer cpu/) });
    const weights = r.changes.filter((c) => c.op === 'cpuWeight');
    expect(weights.length).toBeGreaterThanOrEqual(3);
    for (const c of weights) expect(c).toMatchObject({ kind: 'refused', reason: 'unsupported', message: expect.stringMatching(/does not offer the cpu controller/) });
    expect(r.during.filter((line) => /^\d+@/.test(line))).toEqual(r.before.filter((line) => /^\d+@/.test(line)));
    expect(r.after).toEqual(r.before);
  }, 30_000);
});
