// As an unprivileged user (created here when missing), raising priority fails with the typed
// permission result and a message a person understands; nothing crashes.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { removeAllotCgroups } from './helpers';

afterAll(() => removeAllotCgroups());

function ensureUser(): void {
  try {
    execFileSync('id', ['allottest'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-M', '-s', '/usr/sbin/nologin', 'allottest']);
  }
}

describe('unprivileged user', () => {
  it('refuses lowering priority as irreversible unless confirmed, and gets typed permission refusals for raising priority, caps and realtime I/O', () => {
    ensureUser();
    const out = execFileSync('runuser', ['-u', 'allottest', '--', process.execPath, '--import', 'tsx', 'test/main/platform/fixtures/unprivileged.ts'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, HOME: '/tmp', TSX_TSCONFIG_PATH: undefined },
    });
    const report = JSON.parse(out.trim().split('\n').pop()!);
    expect(report.uid).not.toBe(0);
    // RLIMIT_NICE 0: lowering priority could not be undone, so it is refused and nothing changes...
    expect(report.lowerUnconfirmed).toMatchObject({ kind: 'refused', reason: 'irreversible', message: expect.stringMatching(/cannot raise it back without administrator rights/) });
    expect(report.niceAfterUnconfirmed).toBe(0);
    expect(report.priorityCap).toMatchObject({ reversibility: 'needs-helper', reversibilityDetail: expect.stringMatching(/RLIMIT_NICE is 0/) });
    expect(report.engineScope).toMatch(/not priority|only advises/i);
    // ...unless a person confirmed it.
    expect(report.lower.kind).toBe('applied');
    expect(report.raise).toMatchObject({ kind: 'refused', reason: 'permission', code: 'EACCES' });
    expect(report.raise.message).toMatch(/needs root or CAP_SYS_NICE to raise priority/);
    expect(report.raiseBack).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect(report.cap).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/permission|unsupported/) });
    expect(report.realtimeIo).toMatchObject({ kind: 'refused', reason: 'permission', message: expect.stringMatching(/CAP_SYS_ADMIN/) });
    expect(report.init).toMatchObject({ kind: 'refused', reason: 'protected' });
    expect(report.nice).toBe(5);
    expect(report.priorityLimits).toContain('raising priority needs root or CAP_SYS_NICE');
  });
});
