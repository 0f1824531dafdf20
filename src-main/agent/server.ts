// Headless agent: serves the built renderer over HTTP and the same contract over WebSocket.
// Binds 127.0.0.1 by default. Every request needs the token (query `token`, the cookie set on the
// first authorised page load, or `Authorization: Bearer`); without it: 401. A Host header that is
// not this server (DNS rebinding) or a foreign Origin: 403.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import {
  MAX_CLIENT_MESSAGE_BYTES,
  WsClientMessageSchema,
  eventChannels,
  zodToContractError,
  type WsServerMessage,
} from '../../src-shared/contract';
import type { CoreLike } from '../core/service';

export interface AgentOptions {
  core: CoreLike;
  /** Directory of the built renderer (out/renderer). */
  staticDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
  /** Extra host names (with or without :port) clients may use, e.g. when bound to 0.0.0.0. */
  allowHosts?: readonly string[];
}

export interface Agent {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const COOKIE = 'allot_token';
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function createToken(): string {
  return randomBytes(24).toString('base64url');
}

function tokensEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function cookieToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === COOKIE) return rest.join('=');
  }
  return undefined;
}

/** The token a request carries, from query, bearer header or cookie. */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  return cookieToken(req.headers.cookie);
}

/** Host names this server answers to: loopback names plus the bound address. */
export function allowedHosts(bindHost: string, port: number, extra: readonly string[] = []): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  names.add(bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost);
  const hosts = new Set([...names].map((name) => `${name}:${port}`.toLowerCase()));
  for (const name of extra) hosts.add((name.includes(':') && !name.endsWith(']') ? name : `${name}:${port}`).toLowerCase());
  return hosts;
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? createToken();
  const staticRoot = resolve(options.staticDir);
  let hosts = new Set<string>();

  const check = (req: IncomingMessage): { status: 200 | 401 | 403; url: URL; reason?: string } => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!hosts.has(hostHeader)) return { status: 403, url, reason: 'foreign Host header' };
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let originHost = '';
      try {
        originHost = new URL(origin).host.toLowerCase();
      } catch {
        return { status: 403, url, reason: 'malformed Origin' };
      }
      if (!hosts.has(originHost)) return { status: 403, url, reason: 'foreign Origin' };
    }
    const given = requestToken(req, url);
    if (!given || !tokensEqual(given, token)) return { status: 401, url, reason: 'missing or wrong token' };
    return { status: 200, url };
  };

  const serveStatic = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    const relative = normalize(pathname === '/' ? '/index.html' : pathname).replace(/^([/\\])+/, '');
    const file = join(staticRoot, relative);
    if (!file.startsWith(staticRoot + sep) && file !== staticRoot) {
      res.writeHead(403).end();
      return;
    }
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      const body = await readFile(file);
      const headers: Record<string, string> = {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': CSP,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-store',
      };
      // The first authorised page load carries ?token=; a cookie lets its assets and socket follow.
      if (url.searchParams.has('token')) {
        headers['Set-Cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
      }
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  };

  const server: Server = createServer((req, res) => {
    const verdict = check(req);
    if (verdict.status !== 200) {
      res.writeHead(verdict.status, { 'Content-Type': 'text/plain' }).end(verdict.reason);
      return;
    }
    serveStatic(req, res, verdict.url).catch(() => res.writeHead(500).end());
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const verdict = check(req);
    if (verdict.status !== 200 || verdict.url.pathname !== '/ws') {
      const status = verdict.status === 200 ? 404 : verdict.status;
      const text = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found';
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const send = (message: WsServerMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const unsubscribers = eventChannels.map((event) =>
      options.core.on(event, (payload) => {
        // Drop ticks for a client that cannot keep up instead of buffering without bound.
        if (ws.bufferedAmount > 8 * MAX_CLIENT_MESSAGE_BYTES) return;
        send({ type: 'event', event, payload });
      }),
    );
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void onMessage(data, isBinary);
    });
    const onMessage = async (data: RawData, isBinary: boolean): Promise<void> => {
      if (isBinary) {
        ws.close(1003, 'text frames only');
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString());
      } catch {
        ws.close(1007, 'invalid JSON');
        return;
      }
      const message = WsClientMessageSchema.safeParse(parsed);
      if (!message.success) {
        const id = typeof (parsed as { id?: unknown })?.id === 'number' ? (parsed as { id: number }).id : -1;
        send({ type: 'response', id, result: { ok: false, error: zodToContractError('invalid-input', 'invalid message', message.error) } });
        return;
      }
      const result = await options.core.handle(message.data.channel, message.data.payload);
      send({ type: 'response', id: message.data.id, result });
    };
    ws.on('close', () => unsubscribers.forEach((unsubscribe) => unsubscribe()));
    ws.on('error', () => ws.terminate());
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolvePromise());
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(host, port, options.allowHosts);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
    },
  };
}
