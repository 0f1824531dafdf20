// Identity keys, one definition for every layer: a process is (pid, startTime), so a reused pid
// never maps to an old entry; a program is the processing step's programId, else the process name.

/** Keys of objects seen before: an unchanged process is the same object tick after tick, so its key is built once. */
const keys = new WeakMap<object, string>();

/** A process's key: `${pid}:${startTime}`. */
export function processKey(process: { pid: number; startTime: number }): string {
  let key = keys.get(process);
  if (key === undefined) keys.set(process, (key = `${process.pid}:${process.startTime}`));
  return key;
}

/** A program's key: the collector's programId, or the process name when absent. */
export function programKey(process: { programId?: string | undefined; name: string }): string {
  return process.programId ?? process.name;
}
