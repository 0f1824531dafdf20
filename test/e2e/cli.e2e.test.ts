// The administrator API end to end: a real `allot serve`, the `allot` CLI over the admin socket,
// and a real process whose nice /proc shows. Also the crash-restore promise: kill -9 the agent
// while a change is in force, start it again, and the change is gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startServe, type Served } from '../helpers/serve';
import { niceOf, waitFor } from '../helpers/proc';

describe('allot CLI against a running instance', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let served: Served | undefined;
  let child: ChildProcess;

  const allot = (...args: string[]) => {
    const result = spawnSync(process.execPath, [`${REPO_ROOT}/bin/allot.mjs`, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
    return { code: result.status, out: result.stdout, err: result.stderr };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'allot-cli-'));
    env = { ALLOT_SOCKET: join(dir, 'run', 'admin.sock'), ALLOT_DATA_DIR: join(dir, 'data') };
    child = spawn('sleep', ['300'], { stdio: 'ignore' });
  });
  afterAll(async () => {
    await served?.stop();
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('says so and exits 3 when no instance runs', () => {
    const result = allot('changes');
    expect(result.code).toBe(3);
    expect(result.err).toMatch(/not running/);
  });

  it('refuses bad arguments with exit 2', () => {
    expect(allot('apply', 'abc', '--priority', '5').code).toBe(2);
    expect(allot('apply', '1', '--priority', '50').code).toBe(2);
    expect(allot('apply', '1').code).toBe(2);
  });

  it('applies, lists and undoes through the admin socket', async () => {
    served = await startServe(['--data-dir', env['ALLOT_DATA_DIR']!], env);
    const before = niceOf(child.pid!);
    // The instance needs one sample before it knows the process.
    const applied = await waitFor(() => {
      const result = allot('apply', String(child.pid), '--priority', String(before + 4), '--why', 'cli test', '--json');
      return result.code === 0 ? result : undefined;
    });
    const output = JSON.parse(applied.out) as { result: { kind: string }; changeId: number };
    expect(output.result.kind).toBe('applied');
    expect(niceOf(child.pid!)).toBe(before + 4);
    const listed = allot('changes');
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(`#${output.changeId}`);
    expect(listed.out).toContain('cli test');
    expect(listed.out).toContain('by cli');
    const undone = allot('undo', String(output.changeId));
    expect(undone.code).toBe(0);
    expect(niceOf(child.pid!)).toBe(before);
    // Protected: PID 1 is refused with the reason, exit 1.
    const refused = allot('apply', '1', '--priority', '5');
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/refused \(protected\)/);
  });

  it('serves on the port and address from the agent settings when no flag is given', async () => {
    const dataDir = join(dir, 'agent-settings');
    const first = await startServe(['--data-dir', dataDir, '--no-admin-socket']);
    const free = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const port = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(port));
      });
    });
    const response = await fetch(`${first.origin}/api/settings.update`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ agent: { port: free } }),
    });
    expect(response.status).toBe(200);
    await first.stop();
    const second = await startServe(['--data-dir', dataDir, '--no-admin-socket'], {}, 'settings');
    try {
      expect(new URL(second.url).port).toBe(String(free));
      expect(new URL(second.url).hostname).toBe('127.0.0.1');
    } finally {
      await second.stop();
    }
  });

  it('a second instance on the same data directory says so in one sentence, without a stack trace', async () => {
    const dataDir = join(dir, 'second-instance');
    const first = await startServe(['--data-dir', dataDir, '--no-admin-socket']);
    try {
      const second = allot('serve', '--port', '0', '--data-dir', dataDir, '--no-admin-socket');
      expect(second.code).toBe(1);
      expect(second.err).toMatch(/another Allot instance \(pid \d+\) is already running with the data directory/);
      expect(second.err).toMatch(/--data-dir/);
      expect(second.err).not.toMatch(/\n\s+at /); // no stack frames
    } finally {
      await first.stop();
    }
  });

  it('checks the port before the core starts and says what to do when it is taken', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as AddressInfo).port)));
    try {
      const dataDir = join(dir, 'port-in-use');
      const result = allot('serve', '--port', String(port), '--data-dir', dataDir, '--no-admin-socket');
      expect(result.code).toBe(1);
      expect(result.err).toContain(`127.0.0.1:${port} is already in use`);
      expect(result.err).toMatch(/--port N/);
      expect(result.err).not.toMatch(/EADDRINUSE|\n\s+at /);
      // The core never started: it created no database and took no lock.
      expect(existsSync(join(dataDir, 'allot.db'))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('puts a change back after the agent is killed with SIGKILL and started again', async () => {
    const before = niceOf(child.pid!);
    const applied = allot('apply', String(child.pid), '--priority', String(before + 6), '--json');
    expect(applied.code).toBe(0);
    expect(niceOf(child.pid!)).toBe(before + 6);
    served!.child.kill('SIGKILL');
    await new Promise((resolve) => served!.child.once('exit', resolve));
    expect(niceOf(child.pid!)).toBe(before + 6);
    served = await startServe(['--data-dir', env['ALLOT_DATA_DIR']!], env);
    await waitFor(() => (niceOf(child.pid!) === before ? true : undefined), 15_000, 'nice restored after restart');
    expect(allot('changes', '--all').out).toMatch(/restored/);
  });
});
