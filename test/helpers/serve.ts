// Starts the built `allot serve` as a real child process and returns its URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Served {
  url: string;
  origin: string;
  token: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** `port: 'settings'` starts without --port, so the agent settings decide. */
export async function startServe(extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}, port: '0' | 'settings' = '0'): Promise<Served> {
  if (!existsSync(`${REPO_ROOT}/out/main/cli.js`)) throw new Error('out/main/cli.js missing: run `npm run build` first (npm test does)');
  // Never the user's real data directory or admin socket: a fresh one per instance unless given.
  const scratch = mkdtempSync(join(tmpdir(), 'allot-serve-'));
  // Tests run beside other tests' processes: the engine starts in Advise unless a test asks for a mode
  // (a fresh install's Auto would act, as root, on whatever else is running).
  const modeArgs = extraArgs.includes('--mode') ? [] : ['--mode', 'advise'];
  const child = spawn(process.execPath, [`${REPO_ROOT}/bin/allot.mjs`, 'serve', ...(port === '0' ? ['--port', '0'] : []), ...modeArgs, ...extraArgs], {
    cwd: REPO_ROOT,
    env: { ALLOT_DATA_DIR: join(scratch, 'data'), ALLOT_SOCKET: join(scratch, 'run', 'admin.sock'), ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`allot serve did not print a URL in 20 s:\n${output}`)), 20_000);
    const onData = (): void => {
      const match = /serving on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`allot serve exited with ${code}:\n${output}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
