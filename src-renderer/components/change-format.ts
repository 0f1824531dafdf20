// How a change, a change's value and a result read for a person (dialog results, Changes view, details).
import type { ActionResult, Change, Operation } from '../../src-shared/actions';
import { formatBytes } from '../../src-shared/format';
import { formatCpuList } from '../model/process-columns';

export const OPERATION_LABELS: Record<Operation, string> = {
  priority: 'Priority',
  sessionPriority: 'Session priority',
  affinity: 'Affinity',
  ioPriority: 'I/O priority',
  cpuWeight: 'CPU weight',
  cpuCap: 'CPU cap',
  memoryLimit: 'Memory limit',
  efficiencyMode: 'Efficiency mode',
  suspend: 'Suspend',
  terminate: 'End task',
};

/** ", 3 threads with their own" when a reading kept threads whose value differs from the process's. */
function threadsApart(threads: readonly unknown[] | undefined): string {
  return threads?.length ? `, ${threads.length} thread${threads.length === 1 ? '' : 's'} with their own` : '';
}

export function describeValue(change: Change | null | undefined): string {
  if (!change) return '–';
  switch (change.op) {
    case 'priority':
      return `nice ${change.value.nice}${change.value.autogroupNice !== undefined ? ` (autogroup ${change.value.autogroupNice})` : ''}${threadsApart(change.value.threadNice)}`;
    case 'sessionPriority':
      return `session nice ${change.value.nice}${change.value.autogroupId !== undefined ? ` (autogroup ${change.value.autogroupId})` : ''}`;
    case 'affinity':
      return `CPUs ${formatCpuList(change.value.cpus)}${threadsApart(change.value.threadCpus)}`;
    case 'ioPriority':
      return `${change.value.ioClass === 'none' || change.value.ioClass === 'idle' ? change.value.ioClass : `${change.value.ioClass} ${change.value.level}`}${threadsApart(change.value.threadIo)}`;
    case 'cpuWeight':
      return change.value.weight === null ? 'default weight' : `weight ${change.value.weight}`;
    case 'cpuCap':
      return change.value.percentOfOneCore === null ? 'no cap' : `${change.value.percentOfOneCore}% of one core`;
    case 'memoryLimit':
      return change.value.softLimitBytes === null ? 'no limit' : formatBytes(change.value.softLimitBytes);
    case 'efficiencyMode':
      return change.value.enabled ? 'on' : 'off';
    case 'suspend':
      return change.value.suspended ? 'suspended' : 'running';
    case 'terminate':
      return `end (grace ${change.value.graceMs} ms)`;
  }
}

export function describeResult(result: ActionResult): string {
  if (result.kind === 'applied') {
    const arrow = result.before || result.after ? `${describeValue(result.before)} → ${describeValue(result.after)}` : 'done';
    return `Applied: ${arrow}${result.note ? ` (${result.note})` : ''}`;
  }
  return `Refused (${result.reason}): ${result.message}`;
}
