// How a failed request reads to a person. A 'forbidden' error means the agent token is a viewer
// token: acting (mode, pause, profile, advice, rules, changes) needs the operator role.
import { RequestError } from '../../src-shared/contract';
import { errorMessage } from '../../src-shared/errors';

export const FORBIDDEN_HINT = 'this needs the operator role: the agent token in use is a viewer token (ask for an operator token, or use the desktop app)';

export function isForbidden(error: unknown): boolean {
  return error instanceof RequestError && error.code === 'forbidden';
}

export function describeError(error: unknown): string {
  if (isForbidden(error)) return `Not allowed: ${FORBIDDEN_HINT}.`;
  if (error instanceof RequestError && error.code === 'invalid-channel') return `Not available in this version of the core (${error.message}).`;
  if (error instanceof RequestError && error.code === 'not-ready') return `Not ready: ${error.message}`;
  return errorMessage(error);
}
