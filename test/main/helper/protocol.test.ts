// The helper's request validation, fuzzed: nothing but a well-formed request from the fixed verb set
// gets through, and every refusal says what was wrong. Runs anywhere (pure).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CGROUP_FILES,
  cgroupValueProblem,
  encodeRequest,
  exitCodeFor,
  HelperRequestSchema,
  MAX_REQUEST_BYTES,
  parseRequest,
  parseResponse,
  type CgroupFile,
} from '../../../src-main/helper/protocol';

const ok = (line: string) => {
  const parsed = parseRequest(line);
  if (!parsed.ok) throw new Error(parsed.response.result.kind === 'refused' ? parsed.response.result.message : 'refused');
  return parsed.request;
};
const refusedMessage = (line: string): string => {
  const parsed = parseRequest(line);
  expect(parsed.ok).toBe(false);
  if (parsed.ok || parsed.response.result.kind !== 'refused') throw new Error('accepted');
  expect(parsed.response.result.reason).toBe('invalid');
  return parsed.response.result.message;
};

describe('helper protocol', () => {
  it('accepts each verb with valid arguments', () => {
    expect(ok('{"verb":"renice","pid":1234,"startTime":99,"nice":5}')).toEqual({ verb: 'renice', pid: 1234, startTime: 99, nice: 5 });
    expect(ok('{"verb":"setAffinity","pid":2,"startTime":0,"cpus":[0,3]}\n').verb).toBe('setAffinity');
    expect(ok('{"verb":"setIoPriority","pid":2,"startTime":0,"ioClass":"idle","level":7}').verb).toBe('setIoPriority');
    expect(ok('{"verb":"cgroupWrite","pid":2,"startTime":0,"controller":"cpu","file":"cpu.max","value":"50000 100000"}').verb).toBe('cgroupWrite');
    expect(ok('{"verb":"restore","pid":2,"startTime":0,"original":{"verb":"renice","nice":0}}').verb).toBe('restore');
  });

  it('refuses bad input with a reason', () => {
    expect(refusedMessage('')).toMatch(/not valid JSON/);
    expect(refusedMessage('[1,2]')).toMatch(/JSON object/);
    expect(refusedMessage('{"verb":"exec","cmd":"rm -rf /"}')).toMatch(/unknown verb "exec"/);
    expect(refusedMessage('{"verb":"renice","pid":"1234","startTime":1,"nice":5}')).toMatch(/pid/);
    expect(refusedMessage('{"verb":"renice","pid":12.5,"startTime":1,"nice":5}')).toMatch(/pid/);
    expect(refusedMessage('{"verb":"renice","pid":0,"startTime":1,"nice":5}')).toMatch(/pid/);
    expect(refusedMessage('{"verb":"renice","pid":-1,"startTime":1,"nice":5}')).toMatch(/pid/);
    expect(refusedMessage('{"verb":"renice","pid":5,"startTime":1,"nice":-21}')).toMatch(/nice/);
    expect(refusedMessage('{"verb":"renice","pid":5,"startTime":1,"nice":5,"extra":"; reboot"}')).toMatch(/extra|Unrecognized/i);
    expect(refusedMessage('{"verb":"renice","pid":5,"nice":5}')).toMatch(/startTime/);
    expect(refusedMessage('{"verb":"setAffinity","pid":5,"startTime":1,"cpus":[]}')).toMatch(/cpus/);
    expect(refusedMessage('{"verb":"setAffinity","pid":5,"startTime":1,"cpus":[1,1]}')).toMatch(/repeat/);
    expect(refusedMessage('{"verb":"setAffinity","pid":5,"startTime":1,"cpus":[4096]}')).toMatch(/cpus/);
    expect(refusedMessage('{"verb":"setIoPriority","pid":5,"startTime":1,"ioClass":"rt","level":0}')).toMatch(/ioClass/);
    expect(refusedMessage('{"verb":"renice","pid":5,"startTime":1,"nice":5}\n{"verb":"renice","pid":6,"startTime":1,"nice":5}')).toMatch(/one request/);
    expect(refusedMessage('{"verb":"restore","pid":5,"startTime":1,"original":{"verb":"restore"}}')).toMatch(/original/);
    expect(refusedMessage('{"__proto__":{"verb":"renice"},"pid":5,"startTime":1,"nice":5}')).toMatch(/unknown verb/);
  });

  it('refuses oversized input before parsing it', () => {
    const huge = `{"verb":"renice","pid":5,"startTime":1,"nice":5,"pad":"${'x'.repeat(MAX_REQUEST_BYTES)}"}`;
    expect(refusedMessage(huge)).toMatch(/at most 32768/);
  });

  it('cgroup files come from the allow-list only: path traversal, other files and foreign controllers are refused', () => {
    for (const file of ['../../../etc/shadow', 'cgroup.procs', 'cpu.weight/../../x', '/sys/fs/cgroup/cpu/tasks', 'release_agent', 'notify_on_release', 'cpu.weight\u0000']) {
      expect(refusedMessage(JSON.stringify({ verb: 'cgroupWrite', pid: 5, startTime: 1, controller: 'cpu', file, value: '100' }))).toMatch(/file/);
    }
    expect(refusedMessage(JSON.stringify({ verb: 'cgroupWrite', pid: 5, startTime: 1, controller: 'memory', file: 'cpu.weight', value: '100' }))).toMatch(/does not belong/);
  });

  it('cgroup values are checked per file; shell metacharacters never pass', () => {
    const good: Array<[CgroupFile, string]> = [
      ['cpu.weight', '100'], ['cpu.max', 'max 100000'], ['cpu.max', '50000 100000'], ['cpu.shares', '512'], ['cpu.cfs_quota_us', '-1'],
      ['cpu.cfs_period_us', '100000'], ['memory.high', 'max'], ['memory.high', '1073741824'], ['memory.soft_limit_in_bytes', '-1'],
    ];
    for (const [file, value] of good) expect(cgroupValueProblem(file, value), `${file}=${value}`).toBeNull();
    const bad: Array<[CgroupFile, string]> = [
      ['cpu.weight', '0'], ['cpu.weight', '10001'], ['cpu.weight', '1e3'], ['cpu.weight', ' 100'], ['cpu.max', '100000'], ['cpu.max', '10 100000'],
      ['cpu.shares', '1'], ['cpu.cfs_quota_us', '999'], ['memory.high', '-1'], ['memory.high', '100'], ['memory.soft_limit_in_bytes', 'max'],
    ];
    for (const [file, value] of bad) expect(cgroupValueProblem(file, value), `${file}=${value}`).not.toBeNull();
    fc.assert(
      fc.property(
        fc.constantFrom(...([...CGROUP_FILES.cpu, ...CGROUP_FILES.memory] as CgroupFile[])),
        fc.string({ maxLength: 12 }),
        fc.constantFrom(';', '|', '&', '$(', '`', '\n', '>', '<', '*', '/', '..', '\\', '"', "'", '\u0000'),
        (file, prefix, meta) => cgroupValueProblem(file, `${prefix}${meta}100`) !== null && cgroupValueProblem(file, `100${meta}`) !== null,
      ),
      { numRuns: 500 },
    );
  });

  it('fuzz: random JSON never throws, and whatever passes is exactly a schema-valid request', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed = parseRequest(JSON.stringify(value) ?? 'null');
        if (parsed.ok) expect(HelperRequestSchema.safeParse(parsed.request).success).toBe(true);
        else expect(parsed.response.result.kind).toBe('refused');
      }),
      { numRuns: 2000 },
    );
  });

  it('fuzz: request-shaped objects with random field values are refused unless every field is valid', () => {
    const anyValue = fc.oneof(fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 5 }), fc.object({ maxDepth: 1 }));
    fc.assert(
      fc.property(
        fc.constantFrom('renice', 'setAffinity', 'setIoPriority', 'cgroupWrite', 'restore', 'Renice', 'renice ', 'sh'),
        fc.dictionary(fc.constantFrom('pid', 'startTime', 'nice', 'cpus', 'ioClass', 'level', 'controller', 'file', 'value', 'original', 'cmd'), anyValue),
        (verb, fields) => {
          const line = JSON.stringify({ verb, ...fields });
          const parsed = parseRequest(line);
          expect(parsed.ok).toBe(HelperRequestSchema.safeParse(JSON.parse(line)).success);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('fuzz: random bytes never throw and are refused', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const parsed = parseRequest(text);
        if (parsed.ok) expect(HelperRequestSchema.safeParse(JSON.parse(text)).success).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes one line, reads answers back, and maps exit codes', () => {
    const line = encodeRequest({ verb: 'renice', pid: 5, startTime: 1, nice: 3 });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1).includes('\n')).toBe(false);
    expect(() => encodeRequest({ verb: 'renice', pid: 5, startTime: 1, nice: 99 })).toThrow();
    expect(parseResponse('garbage').result).toMatchObject({ kind: 'refused', reason: 'failed' });
    expect(parseResponse('').result).toMatchObject({ kind: 'refused', reason: 'failed', message: 'the helper gave no answer' });
    expect(exitCodeFor({ verb: 'renice', result: { kind: 'applied' } })).toBe(0);
    expect(exitCodeFor({ verb: 'renice', result: { kind: 'refused', reason: 'permission', message: 'x' } })).toBe(1);
    expect(exitCodeFor({ verb: null, result: { kind: 'refused', reason: 'invalid', message: 'x' } })).toBe(2);
  });
});
