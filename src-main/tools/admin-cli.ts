// `allot apply | changes | undo | restore`: talk to the running instance over its admin socket and
// print the typed result. Without a running instance they say so and exit 3.
import { parseArgs } from 'node:util';
import type { ActionResult, Change, ChangeRecord } from '../../src-shared/actions';
import { IoClassSchema } from '../../src-shared/domain';
import type { ApplyOutput, ProcessSnapshot, Result } from '../../src-shared/contract';
import { adminRequest } from '../core/admin-socket';
import { defaultSocketPath } from '../core/paths';

export const ADMIN_USAGE = `  apply PID (--priority N | --affinity 0,2 | --io-priority CLASS[:LEVEL] | --cpu-cap PERCENT | --memory-limit BYTES[K|M|G])
        [--why TEXT] [--for-minutes N] [--json]      change a process in the running instance
  changes [--all] [--json]                           list changes (in force, or all)
  undo ID [--json]                                   put one change back
  restore [--json]                                   put every change back`;

export class UsageError extends Error {}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Output = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

function parseInteger(text: string, what: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text)) throw new UsageError(`${what} must be an integer, got ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${what} must be from ${min} to ${max}, got ${n}`);
  return n;
}

/** "512M", "2G", "1048576" -> bytes. */
export function parseBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B?|B)?$/i.exec(text.trim());
  if (!match) throw new UsageError(`memory limit must look like 512M, 2G or a byte count, got ${JSON.stringify(text)}`);
  const unit = (match[2] ?? 'B').toUpperCase()[0]!;
  const scale = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[unit as 'B' | 'K' | 'M' | 'G' | 'T'];
  return Math.round(Number(match[1]) * scale);
}

/** The Change an `allot apply` command line asks for. Exactly one operation per call. */
export function changeFromArgs(values: Record<string, string | boolean | undefined>): Change {
  const given = ['priority', 'affinity', 'io-priority', 'cpu-cap', 'memory-limit'].filter((key) => values[key] !== undefined);
  if (given.length !== 1) throw new UsageError(`give exactly one of --priority, --affinity, --io-priority, --cpu-cap, --memory-limit`);
  const value = String(values[given[0]!]);
  switch (given[0]) {
    case 'priority':
      return { op: 'priority', value: { nice: parseInteger(value, '--priority', -20, 19) } };
    case 'affinity': {
      const cpus = value.split(',').map((part) => parseInteger(part.trim(), '--affinity CPU', 0, 4095));
      return { op: 'affinity', value: { cpus: [...new Set(cpus)].sort((a, b) => a - b) } };
    }
    case 'io-priority': {
      const [ioClassText, levelText] = value.split(':');
      const ioClass = IoClassSchema.safeParse(ioClassText);
      if (!ioClass.success) throw new UsageError(`--io-priority class must be one of ${IoClassSchema.options.join(', ')}`);
      return { op: 'ioPriority', value: { ioClass: ioClass.data, level: levelText === undefined ? 4 : parseInteger(levelText, '--io-priority level', 0, 7) } };
    }
    case 'cpu-cap': {
      const percent = Number(value);
      if (!Number.isFinite(percent) || percent < 1) throw new UsageError(`--cpu-cap must be a percent of one core >= 1, got ${JSON.stringify(value)}`);
      return { op: 'cpuCap', value: { percentOfOneCore: percent } };
    }
    default:
      return { op: 'memoryLimit', value: { softLimitBytes: parseBytes(value) } };
  }
}

export function describeResult(result: ActionResult): string {
  if (result.kind === 'applied') {
    const note = result.note ? ` (${result.note})` : '';
    return `applied: ${JSON.stringify(result.before?.value ?? null)} -> ${JSON.stringify(result.after?.value ?? null)}${note}`;
  }
  return `refused (${result.reason}): ${result.message}`;
}

export function describeChange(record: ChangeRecord): string {
  const when = new Date(record.createdAtMs).toISOString().replace('T', ' ').slice(0, 19);
  return `#${record.id}  ${when}  ${record.status.padEnd(10)} ${record.name} (${record.target.pid})  ${record.change.op} ${JSON.stringify(record.change.value)}  by ${record.actor}: ${record.why}`;
}

async function call<T>(socket: string, channel: string, payload: unknown): Promise<T> {
  const result: Result<unknown> = await adminRequest(socket, channel, payload);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

export async function adminCommand(command: string, argv: string[], io: Output = stdio, socket = defaultSocketPath()): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        priority: { type: 'string' },
        affinity: { type: 'string' },
        'io-priority': { type: 'string' },
        'cpu-cap': { type: 'string' },
        'memory-limit': { type: 'string' },
        why: { type: 'string' },
        'for-minutes': { type: 'string' },
        all: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
    const json = values.json === true;
    switch (command) {
      case 'apply': {
        if (positionals.length !== 1) throw new UsageError('apply needs exactly one PID');
        const pid = parseInteger(positionals[0]!, 'PID', 1, 2 ** 31);
        const change = changeFromArgs(values);
        const snapshot = await call<ProcessSnapshot>(socket, 'processes.snapshot', {});
        const target = snapshot.processes.find((process) => process.pid === pid);
        if (!target) {
          io.err(`allot: no process with pid ${pid}\n`);
          return 1;
        }
        const minutes = values['for-minutes'] === undefined ? undefined : parseInteger(values['for-minutes'], '--for-minutes', 1, 7 * 24 * 60);
        const output = await call<ApplyOutput>(socket, 'changes.apply', {
          target: { pid, startTime: target.startTime },
          change,
          why: values.why ?? 'allot apply (command line)',
          ...(minutes !== undefined ? { durationMs: minutes * 60_000 } : {}),
        });
        io.out(json ? `${JSON.stringify(output)}\n` : `${target.name} (${pid}) ${change.op}: ${describeResult(output.result)}${output.changeId ? ` [change #${output.changeId}]` : ''}\n`);
        return output.result.kind === 'applied' ? 0 : 1;
      }
      case 'changes': {
        const changes = await call<ChangeRecord[]>(socket, 'changes.list', values.all ? { all: true } : {});
        if (json) io.out(`${JSON.stringify(changes)}\n`);
        else io.out(changes.length === 0 ? 'no changes in force\n' : `${changes.map(describeChange).join('\n')}\n`);
        return 0;
      }
      case 'undo': {
        if (positionals.length !== 1) throw new UsageError('undo needs exactly one change ID');
        const id = parseInteger(positionals[0]!, 'change ID', 1, 2 ** 53);
        const result = await call<ActionResult>(socket, 'changes.undo', { id });
        io.out(json ? `${JSON.stringify(result)}\n` : `undo #${id}: ${describeResult(result)}\n`);
        return result.kind === 'applied' ? 0 : 1;
      }
      case 'restore': {
        const summary = await call<{ restored: number; gone: number; failed: number }>(socket, 'changes.restoreAll', {});
        io.out(json ? `${JSON.stringify(summary)}\n` : `restored ${summary.restored}, gone ${summary.gone}, failed ${summary.failed}\n`);
        return summary.failed === 0 ? 0 : 1;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`allot ${command}: ${(error as Error).message}\n`);
      return 2;
    }
    const message = (error as Error).message;
    io.err(`allot ${command}: ${message}\n`);
    return message.startsWith('Allot is not running') ? 3 : 1;
  }
}
