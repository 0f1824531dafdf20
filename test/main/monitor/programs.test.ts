import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProgramTotalSchema, type ProcessSample } from '../../../src-shared/domain';
import { buildTree, flattenTree, groupByProgram, programIdOf } from '../../../src-main/monitor/programs';

function p(over: Partial<ProcessSample> & { pid: number }): ProcessSample {
  return {
    ppid: 1,
    startTime: 100,
    startedAtMs: 0,
    name: 'x',
    cmdline: '',
    user: 'root',
    state: 'sleeping',
    threads: 1,
    nice: 0,
    cpuPercent: 0,
    rssBytes: 0,
    ...over,
  };
}

describe('programIdOf', () => {
  it('uses the executable path; a replaced binary keeps its identity', () => {
    expect(programIdOf(p({ pid: 1, name: 'code', exe: '/usr/share/code/code', cmdline: '/usr/share/code/code --type=renderer' }))).toBe(
      '/usr/share/code/code',
    );
    expect(programIdOf(p({ pid: 1, exe: '/usr/bin/foo (deleted)' }))).toBe('/usr/bin/foo');
  });

  it('interpreters: the script tells programs apart', () => {
    const node = (cmdline: string) => programIdOf(p({ pid: 1, name: 'node', exe: '/usr/bin/node', cmdline }));
    expect(node('node build.js')).toBe('/usr/bin/node::build.js');
    expect(node('node /srv/app/server.js --port 80')).toBe('/usr/bin/node::server.js');
    expect(node('node --max-old-space-size=4096 -r ts-node/register src/main.ts')).toBe('/usr/bin/node::main.ts');
    expect(node('node build.js')).not.toBe(node('node server.js'));
    expect(node('node -e console.log(1)')).toBe('/usr/bin/node');
    expect(node('node')).toBe('/usr/bin/node');
    const py = (cmdline: string) => programIdOf(p({ pid: 1, name: 'python3', exe: '/usr/bin/python3.11', cmdline }));
    expect(py('python3 -u /opt/train.py --epochs 3')).toBe('/usr/bin/python3.11::train.py');
    expect(py('python3 -m http.server 8000')).toBe('/usr/bin/python3.11::-m http.server');
    expect(py('python3 -c print(1)')).toBe('/usr/bin/python3.11');
    const java = (cmdline: string) => programIdOf(p({ pid: 1, name: 'java', exe: '/usr/lib/jvm/bin/java', cmdline }));
    expect(java('java -Xmx2g -jar /opt/gradle/lib/gradle-launcher.jar build')).toBe('/usr/lib/jvm/bin/java::gradle-launcher.jar');
    expect(java('java -cp a.jar:b.jar org.example.Main')).toBe('/usr/lib/jvm/bin/java::org.example.Main');
    expect(programIdOf(p({ pid: 1, name: 'bash', exe: '/usr/bin/bash', cmdline: 'bash ./ci/run.sh' }))).toBe('/usr/bin/bash::run.sh');
    expect(programIdOf(p({ pid: 1, name: 'bash', exe: '/usr/bin/bash', cmdline: 'bash -c sleep 1' }))).toBe('/usr/bin/bash');
  });

  it('falls back to an absolute argv[0], then to the name; kernel threads by base name', () => {
    expect(programIdOf(p({ pid: 1, name: 'sshd', cmdline: '/usr/sbin/sshd -D' }))).toBe('/usr/sbin/sshd');
    expect(programIdOf(p({ pid: 1, name: 'Web Content', cmdline: 'firefox-bin -contentproc' }))).toBe('name:web content');
    expect(programIdOf(p({ pid: 7, name: 'kworker/0:1H-kblockd', kernelThread: true }))).toBe('kthread:kworker');
    expect(programIdOf(p({ pid: 8, name: 'ksoftirqd/3', kernelThread: true }))).toBe('kthread:ksoftirqd');
  });
});

describe('groupByProgram', () => {
  it('sums per program and sorts by CPU', () => {
    const list = [
      p({ pid: 10, name: 'node', programId: 'A', cpuPercent: 10, rssBytes: 100, writeBytesPerSec: 5, swapBytes: 1 }),
      p({ pid: 11, name: 'node', programId: 'A', cpuPercent: 20, rssBytes: 50, writeBytesPerSec: 7 }),
      p({ pid: 3, name: 'bash', programId: 'B', cpuPercent: 50, rssBytes: 10 }),
    ];
    const totals = groupByProgram(list);
    expect(totals.map((t) => t.programId)).toEqual(['B', 'A']);
    const a = totals[1]!;
    expect(a).toMatchObject({ pids: [10, 11], count: 2, cpuPercent: 30, rssBytes: 150, writeBytesPerSec: 12, swapBytes: 1, threads: 2 });
    expect(totals[0]!.writeBytesPerSec).toBeUndefined(); // absent stays absent
    for (const t of totals) expect(ProgramTotalSchema.safeParse(t).success).toBe(true);
  });

  it('computes the id when the collector did not fill programId', () => {
    const totals = groupByProgram([p({ pid: 1, exe: '/bin/sleep' }), p({ pid: 2, exe: '/bin/sleep' })]);
    expect(totals).toHaveLength(1);
    expect(totals[0]!.programId).toBe('/bin/sleep');
    expect(totals[0]!.name).toBe('sleep');
  });
});

describe('buildTree', () => {
  it('children by ppid, orphans at the root, sorted by pid', () => {
    const roots = buildTree([p({ pid: 1, ppid: 0 }), p({ pid: 30, ppid: 1 }), p({ pid: 20, ppid: 1 }), p({ pid: 21, ppid: 20 }), p({ pid: 99, ppid: 4000 })]);
    expect(roots.map((n) => n.process.pid)).toEqual([1, 99]);
    expect(roots[0]!.children.map((n) => n.process.pid)).toEqual([20, 30]);
    expect(flattenTree(roots).map((r) => [r.process.pid, r.depth])).toEqual([
      [1, 0],
      [20, 1],
      [21, 2],
      [30, 1],
      [99, 0],
    ]);
  });

  it('is cycle-safe: self-parent and loops still yield every process exactly once', () => {
    const roots = buildTree([p({ pid: 5, ppid: 5 }), p({ pid: 6, ppid: 7 }), p({ pid: 7, ppid: 8 }), p({ pid: 8, ppid: 6 })]);
    const flat = flattenTree(roots).map((r) => r.process.pid);
    expect(flat.sort()).toEqual([5, 6, 7, 8]);
    expect(roots.length).toBeGreaterThanOrEqual(2);
  });

  it('property: any ppid assignment keeps every process exactly once', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 40 })), { maxLength: 60 }), (pairs) => {
        const unique = new Map<number, number>();
        for (const [pid, ppid] of pairs) if (!unique.has(pid)) unique.set(pid, ppid);
        const procs = [...unique].map(([pid, ppid]) => p({ pid, ppid }));
        const flat = flattenTree(buildTree(procs)).map((r) => r.process.pid);
        expect(flat.sort((a, b) => a - b)).toEqual([...unique.keys()].sort((a, b) => a - b));
      }),
    );
  });

  it('handles a 100,000-deep chain without recursion', () => {
    const procs = Array.from({ length: 100_000 }, (_, i) => p({ pid: i + 1, ppid: i }));
    const roots = buildTree(procs);
    expect(roots).toHaveLength(1);
    expect(flattenTree(roots)).toHaveLength(100_000);
  });
});
