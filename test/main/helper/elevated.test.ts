// Elevation on demand (elevated.ts). First against a real guardAdapter around a fake OS adapter and a
// fake helper: a permission refusal is retried through the helper only inside withElevation(), only
// for priority/affinity/ioPriority, never for protected targets, and the helper's answer is mapped to
// an ActionResult (read back through the inner adapter). Then for real on Linux: the bundled helper
// runs as root behind a test-owned broker socket, while the app side (the decorator around the real
// Linux adapter) runs as the unprivileged user `allottest` and acts on real processes; /proc shows the
// change happened only when elevation was allowed.
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessIdentity } from '../../../src-shared/domain';
import type { ActionResult, Change, ReadableOperation, ReadResult, Reading } from '../../../src-shared/actions';
import {
  createLinuxElevationHelper,
  elevatingAdapter,
  elevationAllowed,
  HELPER_MISSING_MESSAGE,
  withElevation,
  type ElevationHelper,
} from '../../../src-main/helper/elevated';
import { guardAdapter, type GuardedAdapter } from '../../../src-main/platform/guard';
import { namedOperations, type PlatformAdapter, type ProcessFacts } from '../../../src-main/platform/types';
import { refused } from '../../../src-main/platform/errors';
import { Actuator } from '../../../src-main/platform/actuator';
import { Journal } from '../../../src-main/store/journal';
import { AuditLog } from '../../../src-main/store/audit';
import { readStat } from '../../../src-main/platform/identity.linux';
import { niceOf, spawnOrphan } from '../../helpers/proc';
import type { HelperRequest, HelperResponse } from '../../../src-main/helper/protocol';

// ---- fakes ----

interface FakeProcess {
  name: string;
  priority: { nice: number };
  affinity: { cpus: number[] };
  ioPriority: { ioClass: 'none' | 'realtime' | 'best-effort' | 'idle'; level: number };
  /** Another user's process: every change is EPERM for the unprivileged app. */
  foreign: boolean;
}

/** An OS adapter that behaves like an unprivileged Linux one: raising or touching a foreign process is `permission`. */
function fakeOs(processes: Map<number, FakeProcess>): PlatformAdapter {
  const read = async (target: ProcessIdentity, op: ReadableOperation): Promise<ReadResult> => {
    const proc = processes.get(target.pid);
    if (!proc) return refused('gone', 'gone');
    if (op === 'priority') return { kind: 'value', value: { op, value: { ...proc.priority } } };
    if (op === 'affinity') return { kind: 'value', value: { op, value: { cpus: [...proc.affinity.cpus] } } };
    if (op === 'ioPriority') return { kind: 'value', value: { op, value: { ...proc.ioPriority } } };
    if (op === 'suspend') return { kind: 'value', value: { op, value: { suspended: false } } };
    return refused('unsupported', `${op} is not faked`);
  };
  const apply = async (target: ProcessIdentity, change: Change): Promise<ActionResult> => {
    const proc = processes.get(target.pid);
    if (!proc) return refused('gone', 'gone');
    const before = change.op === 'terminate' ? undefined : await read(target, change.op);
    const beforePart = before?.kind === 'value' ? { before: before.value } : {};
    const raising = change.op === 'priority' && change.value.nice < proc.priority.nice;
    if (proc.foreign || raising) return { ...refused('permission', 'needs root or CAP_SYS_NICE', { code: 'EPERM' }), ...beforePart };
    if (change.op === 'priority') proc.priority = { nice: change.value.nice };
    else if (change.op === 'affinity') proc.affinity = { cpus: [...change.value.cpus] };
    else if (change.op === 'ioPriority') proc.ioPriority = { ...change.value };
    else return refused('unsupported', `${change.op} is not faked`);
    const after = await read(target, change.op);
    return { kind: 'applied', ...beforePart, ...(after.kind === 'value' ? { after: after.value } : {}) };
  };
  const core = { read, apply };
  return {
    platform: 'linux',
    capabilities: () => ({ platform: 'linux', privileged: false, operations: {} as never, notes: [] }),
    ...core,
    ...namedOperations(core),
    describe: async (target): Promise<ProcessFacts | null> => {
      const proc = processes.get(target.pid);
      return proc ? { pid: target.pid, ppid: 500, startTime: target.startTime, name: proc.name, ancestors: [500, 1] } : null;
    },
    cleanup: async () => [],
  };
}

/** What root would do: change the fake process and answer like the helper. */
function fakeHelper(processes: Map<number, FakeProcess>, answer?: (request: HelperRequest) => HelperResponse | undefined): ElevationHelper & { requests: HelperRequest[] } {
  const requests: HelperRequest[] = [];
  return {
    requests,
    run: async (request) => {
      requests.push(request);
      const custom = answer?.(request);
      if (custom) return custom;
      const proc = processes.get(request.pid);
      if (!proc) return { verb: request.verb, result: refused('gone', 'gone') };
      const body = request.verb === 'restore' ? request.original : request;
      switch (body.verb) {
        case 'renice': {
          const before: Reading = { op: 'priority', value: { ...proc.priority } };
          proc.priority = { nice: body.nice };
          return { verb: request.verb, result: { kind: 'applied', before, after: { op: 'priority', value: { nice: body.nice } } } };
        }
        case 'setAffinity':
          proc.affinity = { cpus: [...body.cpus] };
          return { verb: request.verb, result: { kind: 'applied', after: { op: 'affinity', value: { cpus: body.cpus } } } };
        case 'setIoPriority':
          proc.ioPriority = { ioClass: body.ioClass, level: body.level };
          return { verb: request.verb, result: { kind: 'applied' } };
        default:
          return { verb: request.verb, result: refused('unsupported', 'not faked') };
      }
    },
  };
}

const WORKER = { pid: 4242, startTime: 1000 };
const FOREIGN = { pid: 4343, startTime: 1001 };
const CRITICAL = { pid: 4444, startTime: 1002 };

function setup(answer?: (request: HelperRequest) => HelperResponse | undefined) {
  const processes = new Map<number, FakeProcess>([
    [WORKER.pid, { name: 'make', priority: { nice: 0 }, affinity: { cpus: [0, 1] }, ioPriority: { ioClass: 'best-effort', level: 4 }, foreign: false }],
    [FOREIGN.pid, { name: 'postgres', priority: { nice: 0 }, affinity: { cpus: [0, 1] }, ioPriority: { ioClass: 'best-effort', level: 4 }, foreign: true }],
    [CRITICAL.pid, { name: 'Xorg', priority: { nice: 0 }, affinity: { cpus: [0, 1] }, ioPriority: { ioClass: 'best-effort', level: 4 }, foreign: true }],
  ]);
  const guarded = guardAdapter(fakeOs(processes), { selfPids: [process.pid], exclusions: [], criticalNames: ['Xorg'] });
  const helper = fakeHelper(processes, answer);
  return { processes, guarded, helper, adapter: elevatingAdapter(guarded, helper) };
}

describe('elevatingAdapter (fake OS, fake helper)', () => {
  it('says in the capability report that a person may be asked for the password', () => {
    const { adapter } = setup();
    expect(adapter.capabilities().notes.join(' ')).toMatch(/administrator password \(pkexec\)/);
  });

  it('outside withElevation (the engine path) a permission refusal stays a refusal and the helper is never run', async () => {
    const { adapter, helper, processes } = setup();
    const raised = await adapter.setPriority(WORKER, { nice: -5 });
    expect(raised).toMatchObject({ kind: 'refused', reason: 'permission', before: { op: 'priority', value: { nice: 0 } } });
    expect(await adapter.restore(FOREIGN, { op: 'priority', value: { nice: 3 } })).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(helper.requests).toEqual([]);
    expect(processes.get(WORKER.pid)!.priority.nice).toBe(0);
    expect(elevationAllowed()).toBe(false);
  });

  it('inside withElevation a permission refusal is retried through the helper and read back through the inner adapter', async () => {
    const { adapter, helper, processes } = setup();
    const raised = await withElevation(() => adapter.setPriority(WORKER, { nice: -5 }));
    expect(helper.requests).toEqual([{ verb: 'renice', pid: WORKER.pid, startTime: WORKER.startTime, nice: -5 }]);
    expect(raised).toMatchObject({ kind: 'applied', before: { op: 'priority', value: { nice: 0 } }, after: { op: 'priority', value: { nice: -5 } } });
    expect(raised.kind === 'applied' && raised.note).toMatch(/administrator rights/);
    expect(processes.get(WORKER.pid)!.priority.nice).toBe(-5);

    // affinity and I/O priority of another user's process; `after` comes from the inner read, not the helper.
    const pinned = await withElevation(() => adapter.apply(FOREIGN, { op: 'affinity', value: { cpus: [1, 1] } }));
    expect(helper.requests[1]).toEqual({ verb: 'setAffinity', pid: FOREIGN.pid, startTime: FOREIGN.startTime, cpus: [1] });
    expect(pinned).toMatchObject({ kind: 'applied', before: { op: 'affinity', value: { cpus: [0, 1] } }, after: { op: 'affinity', value: { cpus: [1] } } });
    const io = await withElevation(() => adapter.setIoPriority(FOREIGN, { ioClass: 'idle', level: 7 }));
    expect(io).toMatchObject({ kind: 'applied', after: { op: 'ioPriority', value: { ioClass: 'idle', level: 7 } } });
    expect(helper.requests[2]).toEqual({ verb: 'setIoPriority', pid: FOREIGN.pid, startTime: FOREIGN.startTime, ioClass: 'idle', level: 7 });
  });

  it('restore of a permission-refused original goes through the restore verb', async () => {
    const { adapter, helper, processes } = setup();
    processes.get(FOREIGN.pid)!.priority = { nice: 8 };
    const back = await withElevation(() => adapter.restore(FOREIGN, { op: 'priority', value: { nice: 0, autogroupNice: 0 } }));
    expect(helper.requests).toEqual([{ verb: 'restore', pid: FOREIGN.pid, startTime: FOREIGN.startTime, original: { verb: 'renice', nice: 0 } }]);
    expect(back).toMatchObject({ kind: 'applied', after: { op: 'priority', value: { nice: 0 } } });
    // The fake reads no autogroup, so the decorator says the session's autogroup nice is not known to match.
    expect(back.kind === 'applied' && back.note).toMatch(/autogroup nice is unknown, not 0/);
    expect(processes.get(FOREIGN.pid)!.priority.nice).toBe(0);
  });

  it('only permission refusals are elevated: gone, invalid and successes are returned as they are', async () => {
    const { adapter, helper } = setup();
    const gone = await withElevation(() => adapter.setPriority({ pid: 9999, startTime: 1 }, { nice: -5 }));
    expect(gone).toMatchObject({ kind: 'refused', reason: 'gone' });
    const invalid = await withElevation(() => adapter.apply(WORKER, { op: 'priority', value: { nice: -42 } } as Change));
    expect(invalid).toMatchObject({ kind: 'refused', reason: 'invalid' });
    const lowered = await withElevation(() => adapter.setPriority(WORKER, { nice: 5 }));
    expect(lowered).toMatchObject({ kind: 'applied', after: { value: { nice: 5 } } });
    expect(lowered.kind === 'applied' && lowered.note).toBeUndefined();
    expect(helper.requests).toEqual([]);
  });

  it('operations the helper does not support are not elevated', async () => {
    const { adapter, helper } = setup();
    // The fake refuses every change to a foreign process with `permission`, including these.
    for (const change of [
      { op: 'suspend', value: { suspended: true } },
      { op: 'terminate', value: { graceMs: 0 } },
      { op: 'efficiencyMode', value: { enabled: true } },
      { op: 'cpuWeight', value: { weight: 50 } },
    ] as Change[]) {
      const result = await withElevation(() => adapter.apply(FOREIGN, change));
      expect(result, change.op).toMatchObject({ kind: 'refused', reason: 'permission' });
    }
    expect(helper.requests).toEqual([]);
  });

  it('protected targets never reach the helper, even when the inner adapter says permission', async () => {
    const { adapter, helper, processes } = setup();
    // The real guard refuses first.
    expect(await withElevation(() => adapter.setPriority(CRITICAL, { nice: -5 }))).toMatchObject({ kind: 'refused', reason: 'protected', rule: 'session-critical:Xorg' });
    // A user exclusion set through the decorator reaches the inner guard.
    adapter.setExclusions([{ kind: 'name', value: 'postgres' }]);
    expect(await withElevation(() => adapter.setPriority(FOREIGN, { nice: 5 }))).toMatchObject({ kind: 'refused', reason: 'protected', rule: 'user-excluded:name:postgres' });
    adapter.setExclusions([]);
    // Defense in depth: an inner adapter that (wrongly) lets a protected process through to the OS.
    const leaky: GuardedAdapter = { ...setup().guarded, apply: async () => refused('permission', 'EPERM'), protection: async () => 'pid-1' };
    const leakyHelper = fakeHelper(processes);
    const wrapped = elevatingAdapter(leaky, leakyHelper);
    expect(await withElevation(() => wrapped.apply({ pid: 1, startTime: 1 }, { op: 'priority', value: { nice: -5 } }))).toMatchObject({ kind: 'refused', reason: 'protected', rule: 'pid-1' });
    expect(leakyHelper.requests).toEqual([]);
    expect(helper.requests).toEqual([]);
    expect(processes.get(CRITICAL.pid)!.priority.nice).toBe(0);
  });

  it("maps the helper's refusals (password not given, gone) and keeps the original `before`", async () => {
    const dismissed = 'administrator rights were not granted (the password dialog was dismissed or failed); nothing was changed';
    const { adapter, processes } = setup((request) =>
      request.pid === WORKER.pid ? { verb: null, result: refused('permission', dismissed) } : { verb: request.verb, result: refused('gone', 'the process has exited') },
    );
    const result = await withElevation(() => adapter.setPriority(WORKER, { nice: -5 }));
    expect(result).toEqual({ kind: 'refused', reason: 'permission', message: dismissed, before: { op: 'priority', value: { nice: 0 } } });
    expect(await withElevation(() => adapter.setPriority(FOREIGN, { nice: 5 }))).toMatchObject({ kind: 'refused', reason: 'gone' });
    expect(processes.get(WORKER.pid)!.priority.nice).toBe(0);
  });

  it('a helper that claims success the read-back contradicts is ineffective; a wrong verb or a throw is failed', async () => {
    const { adapter } = setup((request) =>
      request.pid === WORKER.pid ? { verb: request.verb, result: { kind: 'applied' } } : request.verb === 'renice' ? { verb: 'setAffinity', result: { kind: 'applied' } } : undefined,
    );
    expect(await withElevation(() => adapter.setPriority(WORKER, { nice: -5 }))).toMatchObject({ kind: 'refused', reason: 'ineffective', before: { value: { nice: 0 } } });
    expect(await withElevation(() => adapter.setPriority(FOREIGN, { nice: 5 }))).toMatchObject({ kind: 'refused', reason: 'failed', message: /answered setAffinity/ });
    const throwing = elevatingAdapter(setup().guarded, {
      run: async () => {
        throw new Error('boom');
      },
    });
    expect(await withElevation(() => throwing.setPriority(WORKER, { nice: -5 }))).toMatchObject({ kind: 'refused', reason: 'failed', message: /boom/ });
  });

  it('the grant ends when the person’s request settles: work it leaves behind does not elevate', async () => {
    const { adapter, helper } = setup();
    let later: Promise<ActionResult> | undefined;
    let fire: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (fire = resolve));
    await withElevation(async () => {
      expect(elevationAllowed()).toBe(true);
      later = gate.then(() => adapter.setPriority(WORKER, { nice: -5 }));
    });
    fire();
    expect(await later).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(helper.requests).toEqual([]);
  });
});

describe('elevatingAdapter under the actuator (real journal and audit)', () => {
  let dir: string;
  let journal: Journal;
  afterEach(() => {
    journal?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an engine decision is refused and journaled failed; a person’s is elevated, journaled, audited and undone through the helper', async () => {
    dir = mkdtempSync(join(tmpdir(), 'allot-elevated-'));
    journal = Journal.open(join(dir, 'allot.db'));
    const { adapter, helper, processes } = setup();
    const actuator = new Actuator({ adapter, journal, audit: new AuditLog(journal.db) });
    const change: Change = { op: 'priority', value: { nice: 4 } };
    const engine = await actuator.apply({ target: FOREIGN, name: 'postgres', change, actor: 'engine', why: 'background' });
    expect(engine).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(helper.requests).toEqual([]);

    const person = await withElevation(() => actuator.apply({ target: FOREIGN, name: 'postgres', change, actor: 'user', why: 'clicked' }));
    expect(person).toMatchObject({ kind: 'applied', after: { value: { nice: 4 } } });
    expect(processes.get(FOREIGN.pid)!.priority.nice).toBe(4);
    const record = journal.get(person.changeId!)!;
    expect(record).toMatchObject({ status: 'applied', before: { value: { nice: 0 } }, after: { value: { nice: 4 } }, actor: 'user' });
    const entries = actuator.audit.query({ limit: 10 }).entries;
    expect(entries.map((e) => [e.actor, e.result])).toEqual([
      ['user', 'applied'],
      ['engine', 'refused'],
    ]);
    expect(entries[0]!.message).toMatch(/administrator rights/);

    // Undo by the engine path cannot put it back; by a person it can.
    expect(await actuator.undo(person.changeId!, 'system')).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(journal.get(person.changeId!)!.status).toBe('restore-failed');
    expect(processes.get(FOREIGN.pid)!.priority.nice).toBe(4);
    journal.setStatus(person.changeId!, 'applied', null);
    expect(await withElevation(() => actuator.undo(person.changeId!, 'user'))).toMatchObject({ kind: 'applied' });
    expect(processes.get(FOREIGN.pid)!.priority.nice).toBe(0);
    expect(helper.requests.map((r) => r.verb)).toEqual(['renice', 'restore']);
  });
});

describe('createLinuxElevationHelper', () => {
  it('without the helper file every elevation is refused/permission saying how to build it', async () => {
    const helper = createLinuxElevationHelper({ helperPath: join(tmpdir(), 'no-such-dir', 'allot-helper.cjs') });
    const response = await helper.run({ verb: 'renice', pid: 4242, startTime: 1, nice: -5 });
    expect(response).toEqual({ verb: 'renice', result: { kind: 'refused', reason: 'permission', message: HELPER_MISSING_MESSAGE } });
  });

  it('defaults to out/helper/allot-helper.cjs under the app root, or resources/helper when packaged', () => {
    expect(createLinuxElevationHelper({ appRoot: '/app' }).helperPath).toBe('/app/out/helper/allot-helper.cjs');
    expect(createLinuxElevationHelper({ isPackaged: true, resourcesPath: '/opt/Allot/resources', appRoot: '/x' }).helperPath).toBe('/opt/Allot/resources/helper/allot-helper.cjs');
  });
});

// ---- the real thing ----

const root = join(import.meta.dirname, '..', '..', '..');
const isLinuxRoot = process.platform === 'linux' && process.getuid?.() === 0;
const UNPRIVILEGED = 'allottest';
const execFileAsync = promisify(execFile);

/**
 * The app side, run as `allottest`: the real Linux adapter behind the guard, wrapped by the
 * decorator, with the real helper client whose launch is a relay to the test's broker socket.
 */
const AS_USER_SOURCE = `
import { createLinuxAdapter } from './src-main/platform/adapter.linux';
import { createLinuxElevationHelper, elevatingAdapter, withElevation } from './src-main/helper/elevated';
async function main() {
  const input = JSON.parse(process.argv[2]);
  const adapter = elevatingAdapter(
    createLinuxAdapter({ selfPids: [process.pid], exclusions: [] }),
    createLinuxElevationHelper({ helperPath: input.helperPath, launch: input.launch, timeoutMs: 30000 }),
  );
  const act = () => (input.mode === 'restore' ? adapter.restore(input.target, input.change) : adapter.apply(input.target, input.change));
  const result = input.elevate ? await withElevation(act) : await act();
  process.stdout.write(JSON.stringify({ uid: process.getuid(), result }));
}
main().catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exitCode = 3; });
`;

/** The launch the app side uses: pipes the helper's stdin/stdout to the broker socket. No shell. */
const RELAY = `const s = require('node:net').connect(process.argv[1]); process.stdin.pipe(s); s.pipe(process.stdout); s.on('error', (e) => { process.stderr.write(String(e)); process.exit(3); });`;

describe.skipIf(!isLinuxRoot)('elevatingAdapter for real: unprivileged app, helper as root', () => {
  let dir = '';
  let helperPath = '';
  let scriptPath = '';
  let socketPath = '';
  let broker: Server | undefined;
  let connections = 0;
  const targets: number[] = [];

  beforeAll(async () => {
    if (spawnSync('id', ['-u', UNPRIVILEGED]).status !== 0) execFileSync('useradd', ['-M', UNPRIVILEGED]);
    dir = mkdtempSync(join(tmpdir(), 'allot-elevated-'));
    chmodSync(dir, 0o755);
    // The same bundle `npm run build:helper` makes, with koffi from this checkout.
    const { buildHelper } = await import('../../../scripts/build-helper.mjs');
    helperPath = await buildHelper({ outFile: join(dir, 'allot-helper.cjs'), koffiPaths: [join(root, 'node_modules', 'koffi')] });
    const { build } = await import('esbuild');
    scriptPath = join(dir, 'as-user.cjs');
    await build({
      stdin: { contents: AS_USER_SOURCE, resolveDir: root, loader: 'ts', sourcefile: 'as-user.ts' },
      outfile: scriptPath,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['koffi'],
      logLevel: 'warning',
    });
    // The broker stands in for pkexec: for each connection it runs the bundled helper as root (this
    // test's uid) and connects its stdin/stdout to the socket. The helper's parent is this test
    // process, so the helper treats this process (not the unprivileged app) as its caller.
    socketPath = join(dir, 'broker.sock');
    broker = createServer({ allowHalfOpen: true }, (socket) => {
      connections++;
      const child = spawn(process.execPath, [helperPath], { stdio: ['pipe', 'pipe', 'inherit'] });
      socket.pipe(child.stdin);
      child.stdout.pipe(socket);
      child.stdin.on('error', () => undefined);
      socket.on('error', () => child.kill());
    });
    await new Promise<void>((resolve) => broker!.listen(socketPath, resolve));
    chmodSync(socketPath, 0o666);
  }, 120_000);

  afterAll(async () => {
    for (const pid of targets) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A sleep owned by `user` whose parent exits, so it is nobody's child here (not "Allot's own child"). */
  function spawnTarget(user?: string): ProcessIdentity {
    const { pid } = spawnOrphan('sleep', ['300'], user ? { user } : {});
    targets.push(pid);
    const stat = readStat(pid);
    if (!stat) throw new Error('target did not start');
    return { pid, startTime: stat.startTime };
  }
  const cpusOf = (pid: number) => /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];

  // Asynchronous on purpose: the broker runs on this process's event loop.
  async function asUser(input: { target: ProcessIdentity; change: Change; mode: 'apply' | 'restore'; elevate: boolean }): Promise<{ uid: number; result: ActionResult }> {
    const launch = { command: process.execPath, args: ['-e', RELAY, socketPath] };
    const { stdout: out } = await execFileAsync('runuser', ['-u', UNPRIVILEGED, '--', 'env', `NODE_PATH=${join(root, 'node_modules')}`, process.execPath, scriptPath, JSON.stringify({ ...input, helperPath, launch })], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    return JSON.parse(out) as { uid: number; result: ActionResult };
  }

  it("raises its own process's priority only when elevation is allowed (read from /proc)", async () => {
    const target = spawnTarget(UNPRIVILEGED);
    const raise: Change = { op: 'priority', value: { nice: -5 } };
    const before = connections;

    const engine = await asUser({ target, change: raise, mode: 'apply', elevate: false });
    expect(engine.uid).not.toBe(0);
    expect(engine.result).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(niceOf(target.pid)).toBe(0);
    expect(connections).toBe(before);

    const person = await asUser({ target, change: raise, mode: 'apply', elevate: true });
    expect(person.result).toMatchObject({ kind: 'applied', before: { op: 'priority', value: { nice: 0 } }, after: { op: 'priority', value: { nice: -5 } } });
    expect(person.result.kind === 'applied' && person.result.note).toMatch(/administrator rights/);
    expect(niceOf(target.pid)).toBe(-5);
    expect(connections).toBe(before + 1);

    // Putting a lower priority back needs no privilege: no helper run.
    const back = await asUser({ target, change: { op: 'priority', value: { nice: 0 } }, mode: 'restore', elevate: true });
    expect(back.result).toMatchObject({ kind: 'applied' });
    expect(back.result.kind === 'applied' ? (back.result.note ?? '') : 'not applied').not.toMatch(/administrator/);
    expect(niceOf(target.pid)).toBe(0);
    expect(connections).toBe(before + 1);
  });

  it("changes and restores another user's process only when elevation is allowed", async () => {
    const target = spawnTarget();
    const before = connections;
    const lower: Change = { op: 'priority', value: { nice: 6 } };
    expect((await asUser({ target, change: lower, mode: 'apply', elevate: false })).result).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(niceOf(target.pid)).toBe(0);
    expect((await asUser({ target, change: lower, mode: 'apply', elevate: true })).result).toMatchObject({ kind: 'applied', after: { value: { nice: 6 } } });
    expect(niceOf(target.pid)).toBe(6);

    const original: Change = { op: 'priority', value: { nice: 0 } };
    expect((await asUser({ target, change: original, mode: 'restore', elevate: false })).result).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(niceOf(target.pid)).toBe(6);
    expect((await asUser({ target, change: original, mode: 'restore', elevate: true })).result).toMatchObject({ kind: 'applied', after: { value: { nice: 0 } } });
    expect(niceOf(target.pid)).toBe(0);

    const pin: Change = { op: 'affinity', value: { cpus: [0] } };
    const cpusBefore = cpusOf(target.pid);
    expect((await asUser({ target, change: pin, mode: 'apply', elevate: false })).result).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(cpusOf(target.pid)).toBe(cpusBefore);
    expect((await asUser({ target, change: pin, mode: 'apply', elevate: true })).result).toMatchObject({ kind: 'applied', after: { value: { cpus: [0] } } });
    expect(cpusOf(target.pid)).toBe('0');
    expect(connections).toBe(before + 3);
  });

  it('a protected process never reaches the helper, even for a person', async () => {
    const before = connections;
    const init = { pid: 1, startTime: readStat(1)!.startTime };
    const niceBefore = niceOf(1);
    expect((await asUser({ target: init, change: { op: 'priority', value: { nice: 5 } }, mode: 'apply', elevate: true })).result).toMatchObject({ kind: 'refused', reason: 'protected', rule: 'pid-1' });
    expect((await asUser({ target: init, change: { op: 'priority', value: { nice: 5 } }, mode: 'restore', elevate: true })).result).toMatchObject({ kind: 'refused', reason: 'protected', rule: 'pid-1' });
    // A process whose identity does not match (pid reused) is gone before anything runs.
    const target = spawnTarget();
    expect((await asUser({ target: { pid: target.pid, startTime: target.startTime + 1 }, change: { op: 'priority', value: { nice: 5 } }, mode: 'apply', elevate: true })).result).toMatchObject({
      kind: 'refused',
      reason: 'gone',
    });
    expect(niceOf(1)).toBe(niceBefore);
    expect(niceOf(target.pid)).toBe(0);
    expect(connections).toBe(before);
  });
});
