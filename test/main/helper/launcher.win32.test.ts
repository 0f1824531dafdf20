// The Windows elevated-helper protocol, run on any OS: a unix socket stands in for the named pipe and
// a fake ShellExecuteEx("runas") starts the helper side (serveOverPipe) in-process.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { quoteWindowsArg, runElevatedHelper, windowsPipeName, type WindowsHelperDeps } from '../../../src-main/helper/launcher.win32';
import { PIPE_NAME_RE, serveOverPipe, type Executor } from '../../../src-main/helper/main';
import type { HelperRequest } from '../../../src-main/helper/protocol';

const socketName = () =>
  process.platform === 'win32' ? windowsPipeName() : join(mkdtempSync(join(tmpdir(), 'allot-pipe-')), `allot-helper-${randomBytes(16).toString('hex')}.sock`);
const request: HelperRequest = { verb: 'renice', pid: 4242, startTime: 7, nice: -3 };

function parseArgs(parameters: string): string[] {
  return parameters.split(' ');
}

describe('elevated helper over a pipe (Windows protocol)', () => {
  it('sends one request line and returns the helper answer; the helper sees exactly the request', async () => {
    const seen: HelperRequest[] = [];
    const execute: Executor = async (r) => {
      seen.push(r);
      return { kind: 'applied', note: 'fake' };
    };
    const runElevated = vi.fn<WindowsHelperDeps['runElevated']>(async (file, parameters) => {
      const args = parseArgs(parameters);
      expect(file).toBe('C:\\Program Files\\Allot\\Allot.exe');
      expect(args.slice(0, 2)).toEqual(['--allot-helper', '--pipe']);
      void serveOverPipe(args[2]!, execute);
      return { ok: true };
    });
    const response = await runElevatedHelper(request, { executable: 'C:\\Program Files\\Allot\\Allot.exe', runElevated, pipeName: socketName });
    expect(response).toEqual({ verb: 'renice', result: { kind: 'applied', note: 'fake' } });
    expect(seen).toEqual([request]);
    expect(runElevated).toHaveBeenCalledTimes(1);
  });

  it('a declined UAC prompt is a permission refusal; a failed start is reported', async () => {
    const declined = await runElevatedHelper(request, { executable: 'x', pipeName: socketName, runElevated: async () => ({ ok: false, cancelled: true, message: 'cancelled' }) });
    expect(declined).toMatchObject({ verb: 'renice', result: { kind: 'refused', reason: 'permission' } });
    const failed = await runElevatedHelper(request, { executable: 'x', pipeName: socketName, runElevated: async () => ({ ok: false, cancelled: false, message: 'error 2' }) });
    expect(failed.result).toMatchObject({ kind: 'refused', reason: 'failed', message: expect.stringContaining('error 2') });
  });

  it('times out when the helper never connects, and refuses a bad request without elevating', async () => {
    const runElevated = vi.fn<WindowsHelperDeps['runElevated']>(async () => ({ ok: true }));
    const silent = await runElevatedHelper(request, { executable: 'x', pipeName: socketName, runElevated, timeoutMs: 200 });
    expect(silent.result).toMatchObject({ kind: 'refused', reason: 'failed', message: expect.stringContaining('did not answer') });
    runElevated.mockClear();
    const bad = await runElevatedHelper({ ...request, nice: -40 }, { executable: 'x', pipeName: socketName, runElevated });
    expect(bad.result).toMatchObject({ kind: 'refused', reason: 'invalid' });
    expect(runElevated).not.toHaveBeenCalled();
  });

  it('accepts only the first connection: a second client gets nothing', async () => {
    let second = '';
    const response = await runElevatedHelper(request, {
      executable: 'x',
      pipeName: socketName,
      runElevated: async (_file, parameters) => {
        const pipe = parseArgs(parameters)[2]!;
        void serveOverPipe(pipe, async () => ({ kind: 'applied' }));
        await new Promise((resolve) => setTimeout(resolve, 20));
        const intruder = connect(pipe);
        intruder.setEncoding('utf8');
        intruder.on('data', (chunk: string) => (second += chunk));
        intruder.on('error', () => undefined);
        return { ok: true };
      },
    });
    expect(response.result.kind).toBe('applied');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(second).toBe('');
  });

  it('pipe names are random and of the one accepted shape; Windows arguments are quoted', () => {
    const a = windowsPipeName();
    expect(a).toMatch(/^\\\\\.\\pipe\\allot-helper-[0-9a-f]{32}$/);
    expect(windowsPipeName()).not.toBe(a);
    expect(PIPE_NAME_RE.test(a)).toBe(true);
    expect(PIPE_NAME_RE.test('\\\\.\\pipe\\other')).toBe(false);
    expect(PIPE_NAME_RE.test('/tmp/x/allot-helper-zz.sock')).toBe(false);
    expect(quoteWindowsArg('--pipe')).toBe('--pipe');
    expect(quoteWindowsArg('C:\\Program Files\\Allot\\')).toBe('"C:\\Program Files\\Allot\\\\"');
    expect(quoteWindowsArg('a"b')).toBe('"a\\"b"');
  });

  it('the helper side refuses a pipe name of the wrong shape without connecting', async () => {
    expect(await serveOverPipe('/etc/passwd', async () => ({ kind: 'applied' }))).toBe(2);
  });
});
