// Windows: the same verbs through an elevated helper. OS APIs: ShellExecuteExW with the "runas" verb
// (shell32, through koffi) starts the app's OWN executable elevated with `--allot-helper --pipe NAME`
// (UAC prompt); the unprivileged app listens on a fresh named pipe `\\.\pipe\allot-helper-<128 random
// bits>` and, when the elevated process connects, sends one request line and reads one response line
// (protocol.ts, the same as stdin on Linux). The elevated side is helperMain() in main.ts, which the
// composition root calls when it sees `--allot-helper` before anything else starts.
//
// Everything OS-specific is behind `WindowsHelperDeps`, so the pipe protocol is tested on Linux with a
// unix socket standing in for the pipe and a fake ShellExecuteEx; the koffi binding is type-checked only.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { encodeRequest, HelperRequestSchema, parseResponse, type HelperRequest, type HelperResponse } from './protocol';
import { errorMessage } from '../../src-shared/errors';
import { importKoffi } from '../native/koffi';

export type ElevationResult = { ok: true } | { ok: false; cancelled: boolean; message: string };

export interface WindowsHelperDeps {
  /** Start `file` elevated with `parameters` (ShellExecuteExW "runas"). Resolves once started or refused. */
  runElevated(file: string, parameters: string): Promise<ElevationResult>;
  /** The app's own executable (process.execPath). */
  executable: string;
  /** Pipe name for one session; default `\\.\pipe\allot-helper-<hex>`. */
  pipeName?: () => string;
  timeoutMs?: number;
}

export function windowsPipeName(): string {
  return `\\\\.\\pipe\\allot-helper-${randomBytes(16).toString('hex')}`;
}

/** Quote one argument for the Windows command line (CommandLineToArgvW rules). */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

function refusal(reason: 'permission' | 'failed' | 'invalid', message: string): HelperResponse {
  return { verb: null, result: { kind: 'refused', reason, message } };
}

/**
 * Run one request through an elevated helper. Only one connection is accepted; a second (or one
 * after the answer) is closed unread. Never throws.
 */
export async function runElevatedHelper(request: HelperRequest, deps: WindowsHelperDeps): Promise<HelperResponse> {
  const valid = HelperRequestSchema.safeParse(request);
  if (!valid.success) return refusal('invalid', `not a helper request: ${valid.error.issues[0]?.message ?? 'invalid'}`);
  const pipeName = (deps.pipeName ?? windowsPipeName)();
  const line = encodeRequest(valid.data);
  let server: Server | undefined;
  const withVerb = (response: HelperResponse): HelperResponse => ({ ...response, verb: response.verb ?? valid.data.verb });
  try {
    const answer = new Promise<HelperResponse>((resolve) => {
      let accepted = false;
      server = createServer((socket: Socket) => {
        if (accepted) {
          socket.destroy();
          return;
        }
        accepted = true;
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => {
          text += chunk;
          if (text.includes('\n') || text.length > 256 * 1024) {
            resolve(parseResponse(text));
            socket.end();
          }
        });
        socket.on('end', () => resolve(parseResponse(text)));
        socket.on('error', () => resolve(parseResponse(text)));
        socket.write(line);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(pipeName, () => resolve());
    });
    const started = await deps.runElevated(deps.executable, ['--allot-helper', '--pipe', pipeName].map(quoteWindowsArg).join(' '));
    if (!started.ok) {
      return withVerb(
        started.cancelled
          ? refusal('permission', 'administrator rights were not granted (the UAC prompt was declined); nothing was changed')
          : refusal('failed', `could not start the elevated helper: ${started.message}`),
      );
    }
    const timeoutMs = deps.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<HelperResponse>((resolve) => {
      timer = setTimeout(() => resolve(refusal('failed', `the elevated helper did not answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    });
    const response = await Promise.race([answer, timeout]);
    clearTimeout(timer);
    return withVerb(response);
  } catch (error) {
    return withVerb(refusal('failed', `the helper pipe failed: ${errorMessage(error)}`));
  } finally {
    server?.close();
  }
}

/** ERROR_CANCELLED: the person declined the UAC prompt. */
const ERROR_CANCELLED = 1223;
const SEE_MASK_NOCLOSEPROCESS = 0x40;
const SEE_MASK_NOASYNC = 0x100;
const SW_HIDE = 0;

/**
 * The real ShellExecuteExW("runas") through koffi. Loaded lazily, only on Windows.
 */
export async function shellExecuteRunas(file: string, parameters: string): Promise<ElevationResult> {
  if (process.platform !== 'win32') return { ok: false, cancelled: false, message: 'ShellExecuteEx exists only on Windows' };
  try {
    const koffi = await importKoffi();
    const shell32 = koffi.load('shell32.dll');
    const kernel32 = koffi.load('kernel32.dll');
    const SHELLEXECUTEINFOW = koffi.struct('SHELLEXECUTEINFOW', {
      cbSize: 'uint32',
      fMask: 'uint32',
      hwnd: 'void *',
      lpVerb: 'str16',
      lpFile: 'str16',
      lpParameters: 'str16',
      lpDirectory: 'str16',
      nShow: 'int',
      hInstApp: 'void *',
      lpIDList: 'void *',
      lpClass: 'str16',
      hkeyClass: 'void *',
      dwHotKey: 'uint32',
      hIconOrMonitor: 'void *',
      hProcess: 'void *',
    });
    const ShellExecuteExW = shell32.func('bool __stdcall ShellExecuteExW(_Inout_ SHELLEXECUTEINFOW *info)');
    const GetLastError = kernel32.func('uint32 __stdcall GetLastError()');
    const CloseHandle = kernel32.func('bool __stdcall CloseHandle(void *handle)');
    const info = {
      cbSize: koffi.sizeof(SHELLEXECUTEINFOW),
      fMask: SEE_MASK_NOCLOSEPROCESS | SEE_MASK_NOASYNC,
      hwnd: null,
      lpVerb: 'runas',
      lpFile: file,
      lpParameters: parameters,
      lpDirectory: null,
      nShow: SW_HIDE,
      hInstApp: null,
      lpIDList: null,
      lpClass: null,
      hkeyClass: null,
      dwHotKey: 0,
      hIconOrMonitor: null,
      hProcess: null as unknown,
    };
    if (!ShellExecuteExW(info)) {
      const code = Number(GetLastError());
      return { ok: false, cancelled: code === ERROR_CANCELLED, message: `ShellExecuteEx failed with error ${code}` };
    }
    if (info.hProcess) CloseHandle(info.hProcess);
    return { ok: true };
  } catch (error) {
    return { ok: false, cancelled: false, message: errorMessage(error) };
  }
}
