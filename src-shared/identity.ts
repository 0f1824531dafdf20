// Identity keys, one definition for every layer: a process is (pid, startTime), so a reused pid
// never maps to an old entry; a program is the processing step's programId, else the process name.

/** A process's key: `${pid}:${startTime}`. */
export function processKey(process: { pid: number; startTime: number }): string {
  return `${process.pid}:${process.startTime}`;
}

/** A program's key: the collector's programId, or the process name when absent. */
export function programKey(process: { programId?: string | undefined; name: string }): string {
  return process.programId ?? process.name;
}
