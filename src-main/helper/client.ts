// The unprivileged side of the privileged helper on Linux: spawns `pkexec <helper>` (or the helper
// directly when already root) with a FIXED argv and no shell, writes one request line on its stdin,
// reads one response line. OS APIs: child_process.spawn (shell: false), pkexec(1) and polkit (the
// policy dev.allot.helper.policy names the installed helper path, auth_admin_keep). The Windows
// equivalent is launcher.win32.ts. Never throws: every failure is a `refused` result.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { ActionResult } from '../../src-shared/actions';
import { encodeRequest, HelperRequestSchema, parseResponse, type HelperRequest, type HelperResponse } from './protocol';
import { errorMessage } from '../../src-shared/errors';

/** What to run: a command and its fixed arguments. The request never becomes an argument. */
export interface HelperLaunch {
  command: string;
  args: readonly string[];
}

/** Where the packaged helper lives, relative to `process.resourcesPath` (see electron-builder.yml extraResources). */
export const PACKAGED_HELPER = join('helper', 'allot-helper.cjs');
/**
 * Where the helper script is: resources/helper/allot-helper.cjs in a packaged app (extraResources),
 * out/helper/allot-helper.cjs in a checkout (npm run build:helper).
 */
export function defaultHelperPath(options: { isPackaged: boolean; resourcesPath?: string; appRoot: string }): string {
  return options.isPackaged && options.resourcesPath ? join(options.resourcesPath, PACKAGED_HELPER) : join(options.appRoot, 'out', 'helper', 'allot-helper.cjs');
}

export const PKEXEC_PATHS = ['/usr/bin/pkexec', '/bin/pkexec', '/usr/local/bin/pkexec'] as const;
export const NODE_PATHS = ['/usr/bin/node', '/usr/local/bin/node'] as const;
/** How long to wait for the helper, including the time a person needs to type a password. */
export const HELPER_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 256 * 1024;

function firstExecutable(paths: readonly string[]): string | undefined {
  return paths.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface LinuxLaunchOptions {
  /** Absolute path of the helper script (the packaged `allot-helper.cjs`, an executable with a `#!/usr/bin/env node` line). */
  helperPath: string;
  /** Effective uid; 0 runs the helper directly. */
  euid?: number;
  /**
   * Node to run the script with when not going through the script's own shebang (root, or a dev
   * checkout). Defaults to this process's Node when it is plain Node, else /usr/bin/node.
   */
  nodePath?: string;
  /** Override pkexec's location (tests). */
  pkexecPath?: string;
}

export type LaunchPlan = { ok: true; launch: HelperLaunch } | { ok: false; result: ActionResult };

/**
 * How to start the helper on Linux. As root: node + script, no prompt. Otherwise pkexec with the
 * script as the program (polkit matches the policy on that exact path, which a package install puts
 * under /opt/Allot, owned by root). An AppImage has no stable root-owned path: then pkexec runs node
 * with the script, which polkit treats as the generic org.freedesktop.policykit.exec action.
 */
export function linuxHelperLaunch(options: LinuxLaunchOptions): LaunchPlan {
  const euid = options.euid ?? process.geteuid?.() ?? -1;
  const node = options.nodePath ?? (process.versions['electron'] === undefined ? process.execPath : firstExecutable(NODE_PATHS));
  if (euid === 0) {
    if (!node) return { ok: false, result: { kind: 'refused', reason: 'unsupported', message: 'no Node.js runtime found for the helper (install nodejs)' } };
    return { ok: true, launch: { command: node, args: [options.helperPath] } };
  }
  const pkexec = options.pkexecPath ?? firstExecutable(PKEXEC_PATHS);
  if (!pkexec) {
    return { ok: false, result: { kind: 'refused', reason: 'unsupported', message: 'pkexec (polkit) is not installed, so Allot cannot ask for administrator rights; install polkit or run as root' } };
  }
  const installed = options.helperPath.startsWith('/opt/') || options.helperPath.startsWith('/usr/');
  if (installed) return { ok: true, launch: { command: pkexec, args: [options.helperPath] } };
  if (!node) return { ok: false, result: { kind: 'refused', reason: 'unsupported', message: 'no Node.js runtime found for the helper (install nodejs)' } };
  return { ok: true, launch: { command: pkexec, args: [node, options.helperPath] } };
}

export interface RunHelperOptions {
  timeoutMs?: number;
}

function refusal(reason: 'permission' | 'failed' | 'invalid', message: string): HelperResponse {
  return { verb: null, result: { kind: 'refused', reason, message } };
}

/**
 * Run the helper once for one request. The request is validated here too (a bad one is refused
 * without starting anything). Never throws.
 */
export function runHelper(request: HelperRequest, launch: HelperLaunch, options: RunHelperOptions = {}): Promise<HelperResponse> {
  const valid = HelperRequestSchema.safeParse(request);
  if (!valid.success) return Promise.resolve(refusal('invalid', `not a helper request: ${valid.error.issues[0]?.message ?? 'invalid'}`));
  const line = encodeRequest(valid.data);
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const settle = (response: HelperResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...response, verb: response.verb ?? valid.data.verb });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(launch.command, [...launch.args], { shell: false, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    } catch (error) {
      settle(refusal('failed', `could not start the helper: ${errorMessage(error)}`));
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(refusal('failed', `the helper did not answer within ${Math.round((options.timeoutMs ?? HELPER_TIMEOUT_MS) / 1000)} s`));
    }, options.timeoutMs ?? HELPER_TIMEOUT_MS);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < MAX_OUTPUT_BYTES) stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 8192) stderr += chunk;
    });
    child.on('error', (error) => settle(refusal('failed', `could not start the helper: ${error.message}`)));
    child.on('close', (code) => {
      if (stdout.trim() !== '') return settle(parseResponse(stdout));
      // pkexec: 126 = the person dismissed the dialog or is not authorized, 127 = authentication failed.
      if (code === 126 || code === 127) {
        return settle(refusal('permission', 'administrator rights were not granted (the password dialog was dismissed or failed); nothing was changed'));
      }
      settle(refusal('failed', `the helper exited with status ${code ?? 'signal'} without an answer${stderr ? `: ${stderr.trim().slice(0, 300)}` : ''}`));
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(line);
  });
}
