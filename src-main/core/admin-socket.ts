// Local administrator API (seed 003): the running core also listens on a Unix socket readable only
// by its user (a named pipe on Windows) and speaks the same contract as the UI, one JSON object per
// line: {"id":1,"channel":"changes.list","payload":{}} -> {"id":1,"result":{...}}. Every call runs
// as actor 'cli' in the audit log.
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { MAX_CLIENT_MESSAGE_BYTES, WsClientMessageSchema, zodToContractError, type Result } from '../../src-shared/contract';
import type { CoreLike } from './service';

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

/**
 * The socket's directory must be ours alone: created here with mode 0700, or already owned by this
 * user with no access for others. A shared directory (/tmp) is refused, never chmod-ed.
 */
export function prepareSocketDir(dir: string): void {
  const created = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) {
    chmodSync(dir, 0o700);
    return;
  }
  const info = lstatSync(dir);
  const uid = process.getuid?.();
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o077) !== 0) {
    throw new Error(`the admin socket's directory ${dir} must be a directory owned by you that others cannot open (mode 0700)`);
  }
}

export async function startAdminSocket(core: CoreLike, path: string): Promise<AdminSocket> {
  if (isUnixPath(path)) {
    prepareSocketDir(dirname(path));
    if (await alive(path)) throw new Error(`another Allot instance already listens on ${path}`);
    try {
      // A stale socket left by a crash; anything else at that path is not ours to delete.
      if (lstatSync(path).isSocket()) unlinkSync(path);
      else throw new Error(`${path} exists and is not a socket`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
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
        // Open connections would keep close() waiting (and with it the restore on exit): end them.
        for (const socket of sockets) socket.destroy();
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
    socket.once('close', () => {
      clearTimeout(timer);
      if (!buffer.includes('\n')) reject(new Error(`Allot on ${path} closed the connection without answering`));
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
