// OS error codes -> typed refusals with a message a person understands. Shared by every adapter
// variant: POSIX errno names (Linux, macOS) and Windows error names/numbers.
import type { Operation, Refusal, RefusalReason } from '../../src-shared/actions';
import { errorMessage } from '../../src-shared/errors';

/** Human phrase for what was being attempted, used inside messages. */
export function describeAttempt(op: Operation, raising = false): string {
  switch (op) {
    case 'priority':
      return raising ? 'raise priority' : 'change priority';
    case 'sessionPriority':
      return raising ? "raise the session's priority" : "change the session's priority";
    case 'affinity':
      return 'change CPU affinity';
    case 'ioPriority':
      return raising ? 'raise I/O priority' : 'change I/O priority';
    case 'cpuWeight':
      return 'set a CPU weight';
    case 'cpuCap':
      return 'cap CPU use';
    case 'memoryLimit':
      return 'set a memory limit';
    case 'efficiencyMode':
      return 'change efficiency mode';
    case 'suspend':
      return 'suspend or resume';
    case 'terminate':
      return 'end the process';
  }
}

export const GONE_MESSAGE = 'the process has exited or its pid now belongs to another process; nothing was changed';

const ERRNO_NUMBERS: Record<number, string> = { 1: 'EPERM', 3: 'ESRCH', 13: 'EACCES', 22: 'EINVAL', 38: 'ENOSYS', 16: 'EBUSY', 28: 'ENOSPC', 2: 'ENOENT', 95: 'EOPNOTSUPP', 30: 'EROFS' };
const WINDOWS_NUMBERS: Record<number, string> = { 5: 'ERROR_ACCESS_DENIED', 87: 'ERROR_INVALID_PARAMETER', 1: 'ERROR_INVALID_FUNCTION', 50: 'ERROR_NOT_SUPPORTED', 6: 'ERROR_INVALID_HANDLE', 0x80070005: 'E_ACCESSDENIED' };

/** Linux errno number -> name (koffi.errno() gives numbers). */
export function errnoName(errno: number): string {
  return ERRNO_NUMBERS[errno] ?? `errno ${errno}`;
}
export function windowsErrorName(code: number): string {
  return WINDOWS_NUMBERS[code] ?? `error ${code}`;
}

/** The error code of anything thrown by node:fs / node:os ('EPERM', ...), else undefined. */
export function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  // os.setPriority throws a SystemError (code ERR_SYSTEM_ERROR) with the errno name in info.code.
  const info = (error as { info?: { code?: unknown } }).info;
  if (info && typeof info.code === 'string') return info.code.toUpperCase();
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The privilege a person needs on this OS, as words. */
export function adminRights(platform: string = process.platform): string {
  if (platform === 'win32') return 'administrator rights';
  if (platform === 'darwin') return 'root (sudo)';
  return 'root or CAP_SYS_NICE';
}

/** Map one OS error code to a refusal. `raising` picks the privilege message for priority raises. */
export function refusalFromCode(code: string | undefined, op: Operation, raising = false, detail?: string, platform: string = process.platform): Refusal {
  const ADMIN = adminRights(platform);
  const what = describeAttempt(op, raising);
  const tail = detail ? ` (${detail})` : '';
  const r = (reason: RefusalReason, message: string): Refusal => ({ kind: 'refused', reason, message, ...(code ? { code } : {}) });
  switch (code) {
    case 'EPERM':
    case 'EACCES':
    case 'ERROR_ACCESS_DENIED':
    case 'E_ACCESSDENIED':
    case 'EROFS':
      if (op === 'priority' || op === 'sessionPriority' || op === 'ioPriority' || op === 'efficiencyMode') {
        return r('permission', raising ? `needs ${ADMIN} to ${what}${tail}` : `not allowed to ${what} of another user's process${tail}`);
      }
      if (op === 'cpuWeight' || op === 'cpuCap' || op === 'memoryLimit') {
        return r('permission', `needs write access to the cgroup tree to ${what}${tail}`);
      }
      return r('permission', `not allowed to ${what}: the process belongs to another user or needs ${ADMIN}${tail}`);
    case 'ESRCH':
    case 'ENOENT':
    case 'ERROR_INVALID_HANDLE':
      return r('gone', `the process has exited; nothing was changed${tail}`);
    case 'EINVAL':
    case 'ERROR_INVALID_PARAMETER':
      return r('invalid', `the system rejected the value to ${what}${tail}`);
    case 'ENOSYS':
    case 'EOPNOTSUPP':
    case 'ERROR_NOT_SUPPORTED':
    case 'ERROR_INVALID_FUNCTION':
      return r('unsupported', `this system cannot ${what}${tail}`);
    default:
      return r('failed', `could not ${what}: ${code ?? 'unknown error'}${tail}`);
  }
}

export function refusalFromError(error: unknown, op: Operation, raising = false, detail?: string): Refusal {
  const code = codeOf(error);
  if (code) return refusalFromCode(code, op, raising, detail);
  const message = errorMessage(error);
  return { kind: 'refused', reason: 'failed', message: `could not ${describeAttempt(op, raising)}: ${message.slice(0, 300)}` };
}

export function refused(reason: RefusalReason, message: string, extra: Partial<Refusal> = {}): Refusal {
  return { kind: 'refused', reason, message, ...extra };
}
