// The privileged helper on Linux, for real: the bundled helper (scripts/build-helper.mjs) run as root
// acts on a spawned process; run as an unprivileged user (runuser -u allottest) it cannot raise
// priority and says why; hostile requests change nothing (the target's nice is read from /proc).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handleLine, platformExecutor } from '../../../src-main/helper/main';
import { executeLinux } from '../../../src-main/helper/execute.linux';
import { defaultHelperPath, linuxHelperLaunch, runHelper } from '../../../src-main/helper/client';
import { parseResponse, type HelperResponse } from '../../../src-main/helper/protocol';
import { readStat } from '../../../src-main/platform/identity.linux';
import { niceOf, spawnOrphan } from '../../helpers/proc';
import { getAffinity, ioprioGet } from '../../../src-main/platform/native.linux';
import { helperRequestFor } from '../../../src-main/helper/elevated';
import type { Change } from '../../../src-shared/actions';

const root = join(import.meta.dirname, '..', '..', '..');
const isLinuxRoot = process.platform === 'linux' && process.getuid?.() === 0;
const UNPRIVILEGED = 'allottest';

interface Target {
  pid: number;
  startTime: number;
}
const targets: number[] = [];

/** A sleep whose parent is not this test (so it is not "Allot's own child" to the helper). */
function spawnTarget(asUser?: string): Target {
  const { pid } = spawnOrphan('sleep', ['300'], asUser ? { user: asUser } : {});
  targets.push(pid);
  const stat = readStat(pid);
  if (!stat) throw new Error('target did not start');
  return { pid, startTime: stat.startTime };
}

let helperPath = '';
function runBundled(line: string, asUser?: string): { status: number | null; response: HelperResponse; stderr: string } {
  const command = asUser ? 'runuser' : process.execPath;
  const args = asUser ? ['-u', asUser, '--', process.execPath, helperPath] : [helperPath];
  const result = spawnSync(command, args, { input: line, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, response: parseResponse(result.stdout), stderr: result.stderr };
}

function ensureUser(): void {
  if (spawnSync('id', ['-u', UNPRIVILEGED]).status !== 0) execFileSync('useradd', ['-M', UNPRIVILEGED]);
}

describe.skipIf(!isLinuxRoot)('privileged helper on Linux', () => {
  beforeAll(async () => {
    ensureUser();
    const dir = mkdtempSync(join(tmpdir(), 'allot-helper-'));
    chmodSync(dir, 0o755);
    const { buildHelper } = await import('../../../scripts/build-helper.mjs');
    helperPath = await buildHelper({ outFile: join(dir, 'allot-helper.cjs'), koffiPaths: [join(root, 'node_modules', 'koffi')] });
  }, 120_000);

  afterAll(() => {
    for (const pid of targets) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('as root: renices, raises, pins and re-prioritizes I/O of a spawned process, read back from /proc', () => {
    const target = spawnTarget();
    const lowered = runBundled(JSON.stringify({ verb: 'renice', ...target, nice: 7 }));
    expect(lowered.response.result).toMatchObject({ kind: 'applied', after: { op: 'priority', value: { nice: 7 } } });
    expect(lowered.status).toBe(0);
    expect(niceOf(target.pid)).toBe(7);
    const raised = runBundled(JSON.stringify({ verb: 'renice', ...target, nice: -4 }));
    expect(raised.response.result.kind).toBe('applied');
    expect(niceOf(target.pid)).toBe(-4);
    expect(runBundled(JSON.stringify({ verb: 'setAffinity', ...target, cpus: [0] })).response.result).toMatchObject({ kind: 'applied', after: { value: { cpus: [0] } } });
    expect(runBundled(JSON.stringify({ verb: 'setIoPriority', ...target, ioClass: 'best-effort', level: 1 })).response.result).toMatchObject({
      kind: 'applied',
      after: { value: { ioClass: 'best-effort', level: 1 } },
    });
    const restored = runBundled(JSON.stringify({ verb: 'restore', ...target, original: { verb: 'renice', nice: 0 } }));
    expect(restored.response.result.kind).toBe('applied');
    expect(niceOf(target.pid)).toBe(0);
  });

  it('a restore through the helper puts each thread back to its own nice, pin and I/O class', async () => {
    // A node (several threads) that is not this test's child.
    const { pid } = spawnOrphan(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    targets.push(pid);
    const others = () => readdirSync(`/proc/${pid}/task`).map(Number).filter((tid) => tid !== pid);
    for (let i = 0; i < 200 && others().length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const target = { pid, startTime: readStat(pid)!.startTime };
    const [own] = others() as [number];
    // As Allot's change left it: every thread at nice 10 on CPU 0 with best-effort 7.
    expect(runBundled(JSON.stringify({ verb: 'renice', ...target, nice: 10 })).response.result.kind).toBe('applied');
    const online = getAffinity(pid) as number[];
    const originals: Change[] = [
      { op: 'priority', value: { nice: 0, threadNice: [[own, 5]] } },
      { op: 'affinity', value: { cpus: online, threadCpus: [[own, [online[0]!]]] } },
      { op: 'ioPriority', value: { ioClass: 'best-effort', level: 4, threadIo: [[own, 'idle', 0]] } },
    ];
    for (const original of originals) {
      const request = helperRequestFor(target, original as Extract<Change, { op: 'priority' | 'affinity' | 'ioPriority' }>, true);
      expect(runBundled(JSON.stringify(request)).response.result.kind).toBe('applied');
    }
    expect(niceOf(pid)).toBe(0);
    expect(getPriority(own)).toBe(5);
    expect(getAffinity(own)).toEqual([online[0]]);
    expect(getAffinity(pid)).toEqual(online);
    expect(ioprioGet(own)).toMatchObject({ ioClass: 'idle' });
  });

  it('as an unprivileged user: raising priority is refused with a clear error, nothing changed', () => {
    const target = spawnTarget(UNPRIVILEGED);
    const result = runBundled(JSON.stringify({ verb: 'renice', ...target, nice: -5 }), UNPRIVILEGED);
    expect(result.status).toBe(1);
    expect(result.response.result).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(result.response.result.kind === 'refused' && result.response.result.message).toMatch(/root or CAP_SYS_NICE/);
    expect(niceOf(target.pid)).toBe(0);
    // ...and another user's process cannot be touched at all.
    const rootTarget = spawnTarget();
    const other = runBundled(JSON.stringify({ verb: 'renice', ...rootTarget, nice: 5 }), UNPRIVILEGED);
    expect(other.response.result).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(niceOf(rootTarget.pid)).toBe(0);
  });

  it('refuses PID 1, a wrong startTime, kernel threads and its own caller; nothing changed', () => {
    const target = spawnTarget();
    const init = runBundled(JSON.stringify({ verb: 'renice', pid: 1, startTime: readStat(1)!.startTime, nice: 5 }));
    expect(init.response.result).toMatchObject({ kind: 'refused', reason: 'protected', rule: 'pid-1' });
    expect(init.status).toBe(1);
    const wrongStart = runBundled(JSON.stringify({ verb: 'renice', pid: target.pid, startTime: target.startTime + 1, nice: 5 }));
    expect(wrongStart.response.result).toMatchObject({ kind: 'refused', reason: 'gone' });
    expect(niceOf(target.pid)).toBe(0);
    const kthreadd = readStat(2);
    if (kthreadd) {
      expect(runBundled(JSON.stringify({ verb: 'renice', pid: 2, startTime: kthreadd.startTime, nice: 5 })).response.result).toMatchObject({ kind: 'refused', reason: 'protected' });
    }
    // The process that started the helper (this test) is Allot itself to the helper.
    const self = runBundled(JSON.stringify({ verb: 'renice', pid: process.pid, startTime: readStat(process.pid)!.startTime, nice: 5 }));
    expect(self.response.result).toMatchObject({ kind: 'refused', reason: 'protected', rule: 'allot-itself' });
  });

  it('hostile requests through the real helper are refused with status 2, the target untouched', () => {
    const target = spawnTarget();
    const hostile = [
      'not json',
      `{"verb":"renice","pid":${target.pid},"startTime":${target.startTime},"nice":"-20; chmod 4755 /bin/sh"}`,
      `{"verb":"sh","args":["-c","renice -n -20 -p ${target.pid}"]}`,
      `{"verb":"renice","pid":"${target.pid} $(reboot)","startTime":${target.startTime},"nice":-20}`,
      `{"verb":"cgroupWrite","pid":${target.pid},"startTime":${target.startTime},"controller":"cpu","file":"../../../../proc/sys/kernel/core_pattern","value":"|/tmp/x"}`,
      JSON.stringify({ verb: 'renice', ...target, nice: -20, pad: 'x'.repeat(40_000) }),
      `[{"verb":"renice","pid":${target.pid},"startTime":${target.startTime},"nice":-20}]`,
    ];
    for (const line of hostile) {
      const result = runBundled(line);
      expect(result.response.result.kind, line.slice(0, 60)).toBe('refused');
      expect(result.status, line.slice(0, 60)).toBe(2);
    }
    expect(niceOf(target.pid)).toBe(0);
  });

  it('hostile requests never reach the executor (in-process, fuzz-style corpus)', async () => {
    const target = spawnTarget();
    const execute = vi.fn(platformExecutor('linux'));
    const lines = [
      '',
      '{}',
      'null',
      '{"verb":"renice"}',
      `{"verb":"renice","pid":${target.pid},"startTime":${target.startTime},"nice":-20.5}`,
      `{"verb":"renice","pid":${target.pid},"startTime":${target.startTime},"nice":-20,"shell":true}`,
      `{"verb":"setAffinity","pid":${target.pid},"startTime":${target.startTime},"cpus":"0-3"}`,
      `{"verb":"setIoPriority","pid":${target.pid},"startTime":${target.startTime},"ioClass":"realtime","level":8}`,
      `{"verb":"cgroupWrite","pid":${target.pid},"startTime":${target.startTime},"controller":"cpu","file":"cpu.shares","value":"512 && reboot"}`,
      `{"verb":"restore","pid":${target.pid},"startTime":${target.startTime},"original":{"verb":"renice","nice":-20,"x":1}}`,
    ];
    for (const line of lines) expect((await handleLine(line, execute)).result.kind).toBe('refused');
    expect(execute).not.toHaveBeenCalled();
    expect(niceOf(target.pid)).toBe(0);
  });

  it("cgroupWrite writes only Allot's own allot-<pid>-<starttime> group of that process", async () => {
    const target = spawnTarget();
    const request = { verb: 'cgroupWrite' as const, ...target, controller: 'cpu' as const, file: 'cpu.shares' as const, value: '512' };
    // Not in an allot group: refused.
    const outside = await executeLinux(request);
    expect(outside).toMatchObject({ kind: 'refused' });
    const v1 = '/sys/fs/cgroup/cpu';
    if (!existsSync(join(v1, 'cpu.shares'))) return; // cgroup v2 machine: the positive case needs a delegated subtree
    const parent = join(v1, `allot-helpertest-${process.pid}`);
    const group = join(parent, `allot-${target.pid}-${target.startTime}`);
    mkdirSync(group, { recursive: true });
    try {
      writeFileSync(join(group, 'cgroup.procs'), String(target.pid));
      const applied = await executeLinux(request);
      expect(applied).toMatchObject({ kind: 'applied' });
      expect(readFileSync(join(group, 'cpu.shares'), 'utf8').trim()).toBe('512');
      // A v2-only file does not exist in v1: refused, not created.
      expect(await executeLinux({ ...request, file: 'cpu.weight', value: '100' })).toMatchObject({ kind: 'refused', reason: 'invalid' });
      // The group of ANOTHER identity (same pid, other starttime) is not this process's: refused.
      expect(await executeLinux({ ...request, startTime: target.startTime + 1 })).toMatchObject({ kind: 'refused', reason: 'gone' });
    } finally {
      try {
        process.kill(target.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      rmdirSync(group);
      rmdirSync(parent);
    }
  });

  it('the client runs the helper with a fixed argv and returns its answer', async () => {
    const target = spawnTarget();
    const plan = linuxHelperLaunch({ helperPath, euid: 0, nodePath: process.execPath });
    expect(plan).toEqual({ ok: true, launch: { command: process.execPath, args: [helperPath] } });
    if (!plan.ok) return;
    const response = await runHelper({ verb: 'renice', ...target, nice: 9 }, plan.launch);
    expect(response).toMatchObject({ verb: 'renice', result: { kind: 'applied' } });
    expect(niceOf(target.pid)).toBe(9);
    // A bad request is refused before anything starts.
    const bad = await runHelper({ verb: 'renice', ...target, nice: 99 }, { command: '/bin/false', args: [] });
    expect(bad.result).toMatchObject({ kind: 'refused', reason: 'invalid' });
  });
});

describe('helper launch plan', () => {
  it('uses pkexec with the installed helper as the program, or pkexec node script outside /opt, and refuses without pkexec', () => {
    expect(linuxHelperLaunch({ helperPath: '/opt/Allot/resources/helper/allot-helper.cjs', euid: 1000, pkexecPath: '/usr/bin/pkexec', nodePath: '/usr/bin/node' })).toEqual({
      ok: true,
      launch: { command: '/usr/bin/pkexec', args: ['/opt/Allot/resources/helper/allot-helper.cjs'] },
    });
    expect(linuxHelperLaunch({ helperPath: '/home/u/dev/out/helper/allot-helper.cjs', euid: 1000, pkexecPath: '/usr/bin/pkexec', nodePath: '/usr/bin/node' })).toEqual({
      ok: true,
      launch: { command: '/usr/bin/pkexec', args: ['/usr/bin/node', '/home/u/dev/out/helper/allot-helper.cjs'] },
    });
    const noPkexec = linuxHelperLaunch({ helperPath: '/x', euid: 1000, pkexecPath: undefined as unknown as string, nodePath: '/usr/bin/node' });
    if (!existsSync('/usr/bin/pkexec') && !existsSync('/bin/pkexec') && !existsSync('/usr/local/bin/pkexec')) {
      expect(noPkexec).toMatchObject({ ok: false, result: { reason: 'unsupported' } });
    }
  });

  it('finds the helper in resources when packaged and in out/helper in a checkout', () => {
    expect(defaultHelperPath({ isPackaged: true, resourcesPath: '/opt/Allot/resources', appRoot: '/opt/Allot/resources/app.asar' })).toBe('/opt/Allot/resources/helper/allot-helper.cjs');
    expect(defaultHelperPath({ isPackaged: false, appRoot: '/home/u/allot' })).toBe('/home/u/allot/out/helper/allot-helper.cjs');
  });

  it('maps pkexec exit 126 (dialog dismissed) to a permission refusal', async () => {
    const response = await runHelper({ verb: 'renice', pid: 5, startTime: 1, nice: 1 }, { command: process.execPath, args: ['-e', 'process.stdin.resume(); process.stdin.on("end", () => process.exit(126))'] });
    expect(response).toMatchObject({ verb: 'renice', result: { kind: 'refused', reason: 'permission' } });
  });
});
