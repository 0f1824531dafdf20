// OS error codes become typed refusals with messages a person understands (POSIX and Windows names).
import { describe, expect, it } from 'vitest';
import { codeOf, refusalFromCode, windowsErrorName } from '../../../src-main/platform/errors';

describe('error mapping', () => {
  it('maps errno and Windows names to reasons', () => {
    expect(refusalFromCode('EPERM', 'priority', true)).toMatchObject({ reason: 'permission', code: 'EPERM' });
    expect(refusalFromCode('EACCES', 'cpuCap')).toMatchObject({ reason: 'permission', message: expect.stringMatching(/cgroup/) });
    expect(refusalFromCode('ESRCH', 'affinity')).toMatchObject({ reason: 'gone' });
    expect(refusalFromCode('EINVAL', 'affinity')).toMatchObject({ reason: 'invalid' });
    expect(refusalFromCode(windowsErrorName(5), 'priority', true)).toMatchObject({ reason: 'permission', code: 'ERROR_ACCESS_DENIED' });
    expect(refusalFromCode('ERROR_INVALID_PARAMETER', 'priority')).toMatchObject({ reason: 'invalid' });
    expect(refusalFromCode('EWHATEVER', 'suspend')).toMatchObject({ reason: 'failed' });
  });

  it('reads the errno name out of node SystemErrors', () => {
    expect(codeOf({ code: 'ERR_SYSTEM_ERROR', info: { code: 'EACCES' } })).toBe('EACCES');
    expect(codeOf({ code: 'ENOENT' })).toBe('ENOENT');
    expect(codeOf('nope')).toBeUndefined();
  });
});
