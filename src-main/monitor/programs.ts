// Programs and the process tree: pure functions over ProcessSample (no I/O, any OS).
//
// A *program* is the executable's identity across runs; history, profiles, forecasts and rules
// attach to it. The rule (`programIdOf`):
//   1. Kernel threads: "kthread:<name without per-cpu/instance suffix>" (kworker/0:1-events -> kworker).
//   2. The executable path: `exe` if the collector could read it, else argv[0] when it is an absolute
//      path; otherwise "name:<lower-cased process name>". Linux's " (deleted)" suffix (binary replaced
//      by an upgrade) is dropped so a program keeps its identity across package updates.
//   3. Interpreters (node, python, java, ruby, perl, php, deno, bun, shells, ...): the script decides
//      what the program is, so the basename of the script/module/jar/main class is appended after
//      "::": `node build.js` -> "/usr/bin/node::build.js", `python3 -m http.server` ->
//      "/usr/bin/python3::-m http.server", `java -jar app.jar` -> "/usr/bin/java::app.jar".
//      Interpreters run with no script (a REPL, `node -e ...`) keep the bare executable id.
//   Paths are compared as given (case-sensitive, as on Linux); the id is capped at 1024 characters.
import type { ProcessSample } from '../../src-shared/domain';
import { LIMITS, type ProgramTotal } from '../../src-shared/domain';

export type ProgramIdInput = Pick<ProcessSample, 'name' | 'cmdline' | 'exe' | 'kernelThread'> & {
  /** argv when the caller has it split already (Linux); otherwise `cmdline` is split on spaces. */
  argv?: readonly string[];
};

/** Interpreter basename (version suffix stripped) -> how to find its script in argv. */
type ScriptRule = 'first-arg' | 'python' | 'java' | 'shell';
const INTERPRETERS: ReadonlyMap<string, ScriptRule> = new Map<string, ScriptRule>([
  ['node', 'first-arg'],
  ['nodejs', 'first-arg'],
  ['deno', 'first-arg'],
  ['bun', 'first-arg'],
  ['tsx', 'first-arg'],
  ['ts-node', 'first-arg'],
  ['ruby', 'first-arg'],
  ['perl', 'first-arg'],
  ['php', 'first-arg'],
  ['lua', 'first-arg'],
  ['luajit', 'first-arg'],
  ['Rscript', 'first-arg'],
  ['dotnet', 'first-arg'],
  ['python', 'python'],
  ['pypy', 'python'],
  ['java', 'java'],
  ['sh', 'shell'],
  ['bash', 'shell'],
  ['dash', 'shell'],
  ['zsh', 'shell'],
  ['fish', 'shell'],
]);

/** Options that take a separate value argument, per interpreter family. */
const OPTS_WITH_VALUE: Record<ScriptRule, ReadonlySet<string>> = {
  'first-arg': new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-I', '-e', '--eval', '-p', '--print', '--inspect-port', '--title', '--conditions', '-C']),
  python: new Set(['-W', '-X', '-Q']),
  java: new Set(['-cp', '-classpath', '--class-path', '-p', '--module-path', '--add-modules', '--add-opens', '--add-exports']),
  shell: new Set(['-o', '-O', '--rcfile', '--init-file']),
};

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  const back = path.lastIndexOf('\\');
  return path.slice(Math.max(slash, back) + 1);
}

/** "python3.11" -> "python", "node20" -> "node", "java.exe" -> "java". */
function interpreterKey(exeBase: string): string {
  const noExt = exeBase.replace(/\.exe$/i, '');
  if (INTERPRETERS.has(noExt)) return noExt;
  const stripped = noExt.replace(/[\d.]+$/, '');
  return stripped;
}

/** The script part for an interpreter's argv (argv[0] is the interpreter), or undefined. */
function scriptOf(rule: ScriptRule, argv: readonly string[]): string | undefined {
  const withValue = OPTS_WITH_VALUE[rule];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '') continue;
    if (rule === 'python' && a === '-m') return argv[i + 1] ? `-m ${argv[i + 1]}` : undefined;
    if (rule === 'python' && a === '-c') return undefined;
    if (rule === 'java' && a === '-jar') return argv[i + 1] ? basename(argv[i + 1]!) : undefined;
    if (rule === 'java' && (a === '-m' || a === '--module')) return argv[i + 1]?.split('/')[0];
    if (rule === 'shell' && a === '-c') return undefined; // inline command: the shell itself
    if (rule === 'first-arg' && (a === '-e' || a === '--eval' || a === '-p' || a === '--print')) return undefined;
    if (a === '--') return argv[i + 1] ? basename(argv[i + 1]!) : undefined;
    if (a.startsWith('-')) {
      if (withValue.has(a)) i++;
      continue;
    }
    // dotnet run / bun run / deno run <script>
    if ((a === 'run' || a === 'exec') && rule === 'first-arg' && argv[i + 1] && !argv[i + 1]!.startsWith('-')) {
      return basename(argv[i + 1]!);
    }
    return rule === 'java' ? a : basename(a);
  }
  return undefined;
}

function splitCmdline(cmdline: string): string[] {
  return cmdline === '' ? [] : cmdline.split(' ');
}

/** Kernel thread name without its per-cpu / instance suffix: "kworker/0:1H-kblockd" -> "kworker". */
function kernelThreadBase(name: string): string {
  const slash = name.indexOf('/');
  const base = slash > 0 ? name.slice(0, slash) : name;
  return base.replace(/[-_:]?\d+$/, '') || base;
}

function cap(id: string): string {
  return id.length > LIMITS.maxNameLength ? id.slice(0, LIMITS.maxNameLength) : id;
}

export function programIdOf(p: ProgramIdInput): string {
  if (p.kernelThread) return cap(`kthread:${kernelThreadBase(p.name)}`);
  const argv = p.argv ?? splitCmdline(p.cmdline);
  let exe = p.exe;
  if (exe?.endsWith(' (deleted)')) exe = exe.slice(0, -' (deleted)'.length);
  if (!exe) {
    const a0 = argv[0];
    if (a0 && a0.startsWith('/')) exe = a0;
  }
  if (!exe) return cap(`name:${p.name.toLowerCase()}`);
  const rule = INTERPRETERS.get(interpreterKey(basename(exe)));
  if (rule) {
    const script = scriptOf(rule, argv);
    if (script) return cap(`${exe}::${script}`);
  }
  return cap(exe);
}

/** A short display name for a program id. */
export function programNameOf(programId: string, fallback: string): string {
  if (programId.startsWith('kthread:') || programId.startsWith('name:')) return fallback;
  const [exe, script] = programId.split('::');
  const base = basename(exe ?? '');
  return script ? `${base} ${script}` : base || fallback;
}

// ---------------------------------------------------------------------------------------------

/** Per-program totals over one sample's processes. Sums of what the processes report. */
export function groupByProgram(processes: readonly ProcessSample[]): ProgramTotal[] {
  const byId = new Map<string, ProgramTotal>();
  for (const p of processes) {
    const id = p.programId ?? programIdOf(p);
    let t = byId.get(id);
    if (!t) {
      t = {
        programId: id,
        name: programNameOf(id, p.name),
        pids: [],
        count: 0,
        cpuPercent: 0,
        rssBytes: 0,
      };
      byId.set(id, t);
    }
    t.pids.push(p.pid);
    t.count++;
    t.cpuPercent += p.cpuPercent;
    t.rssBytes += p.rssBytes;
    if (p.swapBytes !== undefined) t.swapBytes = (t.swapBytes ?? 0) + p.swapBytes;
    if (p.readBytesPerSec !== undefined) t.readBytesPerSec = (t.readBytesPerSec ?? 0) + p.readBytesPerSec;
    if (p.writeBytesPerSec !== undefined) t.writeBytesPerSec = (t.writeBytesPerSec ?? 0) + p.writeBytesPerSec;
    if (p.majorFaultsPerSec !== undefined) t.majorFaultsPerSec = (t.majorFaultsPerSec ?? 0) + p.majorFaultsPerSec;
    if (p.threads !== undefined) t.threads = (t.threads ?? 0) + p.threads;
  }
  const out = [...byId.values()];
  for (const t of out) t.pids.sort((a, b) => a - b);
  out.sort((a, b) => b.cpuPercent - a.cpuPercent || b.rssBytes - a.rssBytes || (a.programId < b.programId ? -1 : 1));
  return out;
}

export interface ProcessTreeNode {
  process: ProcessSample;
  children: ProcessTreeNode[];
}

/**
 * Parent/child tree by ppid. Processes whose parent is not in the list (or is themselves) are roots.
 * Cycle-safe: a ppid loop (impossible in a consistent snapshot, possible in a torn or hostile one)
 * is broken by making the first process found on the loop a root. Children sorted by pid.
 */
export function buildTree(processes: readonly ProcessSample[]): ProcessTreeNode[] {
  const nodes = new Map<number, ProcessTreeNode>();
  for (const p of processes) if (!nodes.has(p.pid)) nodes.set(p.pid, { process: p, children: [] });

  const parentOf = new Map<number, number>();
  for (const [pid, node] of nodes) {
    const ppid = node.process.ppid;
    if (ppid !== pid && nodes.has(ppid)) parentOf.set(pid, ppid);
  }
  // Break cycles: walk up from each node; 1 = on the current path, 2 = finished.
  const mark = new Map<number, 1 | 2>();
  for (const start of nodes.keys()) {
    if (mark.has(start)) continue;
    const path: number[] = [];
    let cur: number | undefined = start;
    while (cur !== undefined && !mark.has(cur)) {
      mark.set(cur, 1);
      path.push(cur);
      cur = parentOf.get(cur);
    }
    if (cur !== undefined && mark.get(cur) === 1) parentOf.delete(cur); // cur closes a loop: make it a root
    for (const pid of path) mark.set(pid, 2);
  }

  const roots: ProcessTreeNode[] = [];
  for (const [pid, node] of nodes) {
    const parent = parentOf.get(pid);
    if (parent === undefined) roots.push(node);
    else nodes.get(parent)!.children.push(node);
  }
  const byPid = (a: ProcessTreeNode, b: ProcessTreeNode) => a.process.pid - b.process.pid;
  for (const node of nodes.values()) node.children.sort(byPid); // no recursion: any depth is safe
  roots.sort(byPid);
  return roots;
}

/** Flatten a tree depth-first with depth, for table rendering. */
export function flattenTree(roots: readonly ProcessTreeNode[]): Array<{ process: ProcessSample; depth: number }> {
  const out: Array<{ process: ProcessSample; depth: number }> = [];
  const stack: Array<{ node: ProcessTreeNode; depth: number }> = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push({ node: roots[i]!, depth: 0 });
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    out.push({ process: node.process, depth });
    for (let i = node.children.length - 1; i >= 0; i--) stack.push({ node: node.children[i]!, depth: depth + 1 });
  }
  return out;
}
