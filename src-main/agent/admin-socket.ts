// Local administrator API (seed 003): the running core also listens on a Unix socket readable only
// by its user (a named pipe on Windows) and speaks the same contract as the UI, one JSON object per
// line: {"id":1,"channel":"changes.list","payload":{}} -> {"id":1,"result":{...}}. Every call runs
// as actor 'cli' in the audit log.
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { MAX_CLIENT_MESSAGE_BYTES, WsClientMessageSchema, zodToContractError, type Result } from '../../src-shared/contract';
import type { CoreLike } from '../core/service';

export interface AdminSocket {
  readonly path: string;
  close(): Promise<void>;
}

function isUnixPath(path: string): boolean {
  return !path.startsWith('\\\\.\\pipe\\');
}

/** Resolve true when something already answers on `path`. */
function alive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startAdminSocket(core: CoreLike, path: string): Promise<AdminSocket> {
  if (isUnixPath(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    chmodSync(dirname(path), 0o700);
    if (await alive(path)) throw new Error(`another Allot instance already listens on ${path}`);
    try {
      unlinkSync(path); // a stale socket left by a crash
    } catch {
      // none
    }
  }
  const server: Server = createServer((socket: Socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    const reply = (id: number, result: Result<unknown>): void => {
      if (!socket.destroyed) socket.write(`${JSON.stringify({ id, result })}\n`);
    };
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_CLIENT_MESSAGE_BYTES) {
        reply(-1, { ok: false, error: { code: 'invalid-input', message: 'message too large' } });
        socket.destroy();
        return;
      }
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.trim()) void onLine(line);
      }
    });
    socket.on('error', () => socket.destroy());
    const onLine = async (line: string): Promise<void> => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        reply(-1, { ok: false, error: { code: 'invalid-input', message: 'not JSON' } });
        return;
      }
      const message = WsClientMessageSchema.safeParse({ type: 'request', ...(parsed as object) });
      if (!message.success) {
        reply(-1, { ok: false, error: zodToContractError('invalid-input', 'invalid message', message.error) });
        return;
      }
      reply(message.data.id, await core.handle(message.data.channel, message.data.payload, { actor: 'cli' }));
    };
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  if (isUnixPath(path)) chmodSync(path, 0o600);
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if (isUnixPath(path)) {
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
        }
      }),
  };
}

/** One request to a running instance. Rejects with a clear message when none is running. */
export async function adminRequest(path: string, channel: string, payload: unknown, timeoutMs = 15_000): Promise<Result<unknown>> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from Allot on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify({ id: 1, channel, payload })}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      socket.end();
      try {
        resolve((JSON.parse(buffer.slice(0, newline)) as { result: Result<unknown> }).result);
      } catch (error) {
        reject(error as Error);
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
          ? new Error(`Allot is not running (no admin socket at ${path}); start the desktop app or \`allot serve\``)
          : error,
      );
    });
  });
}
