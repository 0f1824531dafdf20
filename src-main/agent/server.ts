// Headless agent: serves the built renderer over HTTP and the same contract over WebSocket (and as
// `POST /api/<channel>` for scripts). Binds 127.0.0.1 by default. Every request needs a token
// (query `token`, the cookie set on the first authorised page load, or `Authorization: Bearer`);
// without one: 401. A Host header that is not this server (DNS rebinding) or a foreign Origin: 403.
// Tokens have roles: a viewer reads everything, only an operator may act (ACT_CHANNELS); an
// operator's actions are audited as `agent:<token name>`. `/metrics` speaks Prometheus text format,
// open to token holders or to loopback clients, per the `agent.metricsAccess` setting.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import {
  MAX_CLIENT_MESSAGE_BYTES,
  WsClientMessageSchema,
  eventChannels,
  zodToContractError,
  type Result,
  type Tick,
  type WsServerMessage,
} from '../../src-shared/contract';
import { ACT_CHANNELS } from '../../src-shared/channels';
import { ProcessDeltaEncoder, withProcesses } from '../../src-shared/process-delta';
import type { Settings } from '../../src-shared/settings';
import type { EngineCountersView } from '../../src-shared/contract';
import { latestSample } from '../core/latest-sample';
import type { CoreLike } from '../core/service';
import { agentFamilies, engineFamilies, renderFamilies, sampleFamilies, type MetricFamily } from './metrics';

export type AgentRole = 'viewer' | 'operator';
export interface AgentToken {
  /** Shown in the audit log as agent:<name>. */
  name: string;
  role: AgentRole;
  token: string;
}

export interface AgentOptions {
  core: CoreLike;
  /** Directory of the built renderer (out/renderer). */
  staticDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Tokens to accept; default: a fresh random operator and viewer token. */
  tokens?: readonly AgentToken[];
  /** Extra metric families (engine, forecasts) for /metrics. */
  extraMetrics?: () => MetricFamily[];
  /** Extra host names (with or without :port) clients may use, e.g. when bound to 0.0.0.0. */
  allowHosts?: readonly string[];
}

export interface Agent {
  /** URL with the first operator token. */
  readonly url: string;
  /** URL with the first viewer token, if any. */
  readonly viewerUrl: string | undefined;
  readonly port: number;
  /** The first operator token. */
  readonly token: string;
  readonly tokens: readonly AgentToken[];
  close(): Promise<void>;
}

export function parseTokensFile(text: string): AgentToken[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`tokens file is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > 256) throw new Error('tokens file must be a JSON array of 1 to 256 {name, role, token}');
  return parsed.map((entry, index) => {
    const where = `tokens file entry ${index + 1}`;
    if (typeof entry !== 'object' || entry === null) throw new Error(`${where}: not an object`);
    const { name, role, token, ...rest } = entry as Record<string, unknown>;
    if (Object.keys(rest).length) throw new Error(`${where}: unknown key ${Object.keys(rest)[0]}`);
    if (typeof name !== 'string' || !/^[\w .@-]{1,64}$/.test(name)) throw new Error(`${where}: name must be 1-64 letters, digits, space, . @ _ -`);
    if (role !== 'viewer' && role !== 'operator') throw new Error(`${where}: role must be viewer or operator`);
    if (typeof token !== 'string' || token.length < 20 || token.length > 256 || !/^[\x21-\x7e]+$/.test(token)) {
      throw new Error(`${where}: token must be 20-256 printable characters`);
    }
    return { name, role, token };
  });
}

export const TOKENS_FILE = 'agent-tokens.json';

export interface StoredTokens {
  tokens: AgentToken[];
  path: string;
  /** Made now (first start, or --new-tokens), not read from the file. */
  created: boolean;
}

/**
 * The agent's tokens, kept in the data directory (mode 0600) so the URLs survive a restart of
 * `allot serve`; `rotate` (--new-tokens) replaces them, which makes every old URL stop working.
 * A file that is unreadable or not private is an error, never silently replaced.
 */
export function loadOrCreateTokens(dataDir: string, rotate = false): StoredTokens {
  const path = join(dataDir, TOKENS_FILE);
  if (!rotate && existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new Error(`${path} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it, or start with --new-tokens to replace it`);
    }
    return { tokens: parseTokensFile(readFileSync(path, 'utf8')), path, created: false };
  }
  const tokens: AgentToken[] = [
    { name: 'operator', role: 'operator', token: createToken() },
    { name: 'viewer', role: 'viewer', token: createToken() },
  ];
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
  return { tokens, path, created: true };
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

const COOKIE = 'allot_token';
/** Requests one WebSocket client may have waiting for an answer. */
const MAX_IN_FLIGHT = 32;
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

/** The page for a request without a valid token: where the URL with the token comes from, and what to do. */
export function NO_TOKEN_PAGE(hadToken: boolean): string {
  const lead = hadToken
    ? 'The token in this address is not (or no longer) accepted by this Allot agent. It changes when the agent is started with <code>--new-tokens</code> or another tokens file.'
    : 'This Allot agent needs a token in the address, and this request had none.';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Allot: token needed</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#222}code{background:#f1f1f1;padding:0 .25em;border-radius:3px}@media (prefers-color-scheme:dark){body{background:#1b1b1d;color:#ddd}code{background:#2c2c30}}</style>
</head><body>
<h1>Open the address that <code>allot serve</code> printed</h1>
<p>${lead}</p>
<p>When it starts, <code>allot serve</code> prints two addresses, each with <code>?token=…</code>:</p>
<ul><li><b>Allot … serving on http://…/?token=…</b>: the operator address (may change priorities and settings);</li>
<li><b>Read-only (viewer): http://…/?token=…</b>: to watch without acting.</li></ul>
<p>Ask whoever runs the agent for one of them, or look at its output (for a systemd service: <code>journalctl -u allot</code>). The tokens are kept in the agent's data directory (<code>agent-tokens.json</code>) across restarts; <code>allot serve --new-tokens</code> makes new ones.</p>
</body></html>
`;
}

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

/**
 * The request body as text, or undefined once it passes `maxBytes` (a declared Content-Length is
 * checked before reading anything). The stream is paused, not destroyed, so the answer still reaches
 * the client: destroying a socket with unread input resets the connection and loses the answer.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve(undefined);
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        req.off('data', onData).off('end', onEnd).off('error', reject);
        req.pause();
        resolvePromise(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => resolvePromise(Buffer.concat(chunks).toString('utf8'));
    req.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

/** Time an oversized upload may go on being read (and dropped) after its 413, so the client reads the answer. */
const LINGER_MS = 2000;

/** The typed 413, then close: the rest of the upload is read and dropped for a moment, then the socket goes. */
function tooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(413, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Connection: 'close' });
  res.end(JSON.stringify({ ok: false, error: { code: 'invalid-input', message: `request body too large (over ${MAX_CLIENT_MESSAGE_BYTES} bytes)` } }));
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  req.on('data', () => undefined).resume();
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const host = options.host ?? '127.0.0.1';
  const tokens: readonly AgentToken[] = options.tokens ?? [
    { name: 'operator', role: 'operator', token: createToken() },
    { name: 'viewer', role: 'viewer', token: createToken() },
  ];
  const operator = tokens.find((entry) => entry.role === 'operator');
  const viewer = tokens.find((entry) => entry.role === 'viewer');

  // This thread's event-loop utilization, overall and since the last scrape (sampling runs in the core worker).
  let lastLoop: EventLoopUtilization | undefined;
  const selfFamilies = (): MetricFamily[] => {
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    const loop = performance.eventLoopUtilization();
    const since = lastLoop ? performance.eventLoopUtilization(loop, lastLoop) : undefined;
    lastLoop = loop;
    return agentFamilies({
      cpuUserMicros: cpu.user,
      cpuSystemMicros: cpu.system,
      residentBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      loopActiveMs: loop.active,
      ...(since ? { loopUtilizationSinceScrape: since.utilization } : {}),
    });
  };
  const findToken = (given: string | undefined): AgentToken | undefined =>
    given === undefined ? undefined : tokens.find((entry) => tokensEqual(given, entry.token));
  const staticRoot = resolve(options.staticDir);
  let hosts = new Set<string>();

  const check = (req: IncomingMessage, tokenOptional = false): { status: 200 | 401 | 403; url: URL; reason?: string; who?: AgentToken } => {
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
    const who = findToken(requestToken(req, url));
    if (!who && !tokenOptional) return { status: 401, url, reason: 'missing or wrong token' };
    return { status: 200, url, ...(who ? { who } : {}) };
  };

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.end(JSON.stringify(body));
  };

  /** One contract request for a token holder: role check, then the core. */
  const callAs = (who: AgentToken, channel: string, payload: unknown): Promise<Result<unknown>> | Result<unknown> => {
    if (ACT_CHANNELS.has(channel as never) && who.role !== 'operator') {
      return { ok: false, error: { code: 'forbidden', message: `the ${who.role} token "${who.name}" may not call ${channel}; an operator token is needed` } };
    }
    return options.core.handle(channel, payload, { actor: `agent:${who.name}` });
  };

  const serveApi = async (req: IncomingMessage, res: ServerResponse, url: URL, who: AgentToken): Promise<void> => {
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end();
      return;
    }
    let channel: string;
    try {
      channel = decodeURIComponent(url.pathname.slice('/api/'.length));
    } catch {
      json(res, 400, { ok: false, error: { code: 'invalid-channel', message: 'malformed channel name' } });
      return;
    }
    const body = await readBody(req, MAX_CLIENT_MESSAGE_BYTES);
    if (body === undefined) {
      tooLarge(req, res);
      return;
    }
    let payload: unknown = {};
    if (body.trim()) {
      try {
        payload = JSON.parse(body);
      } catch {
        json(res, 400, { ok: false, error: { code: 'invalid-input', message: 'request body is not JSON' } });
        return;
      }
    }
    const result = await callAs(who, channel, payload);
    const status = result.ok ? 200 : result.error.code === 'forbidden' ? 403 : result.error.code === 'internal' ? 500 : result.error.code === 'not-ready' ? 503 : 400;
    json(res, status, result);
  };

  const serveMetrics = async (req: IncomingMessage, res: ServerResponse, who: AgentToken | undefined): Promise<void> => {
    const settings = await options.core.handle('settings.get', {});
    const access = settings.ok ? (settings.value as Settings).agent.metricsAccess : 'token';
    const allowed = access === 'token' ? who !== undefined : access === 'loopback' ? who !== undefined || isLoopback(req.socket.remoteAddress) : false;
    if (access === 'off') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('metrics are turned off (setting agent.metricsAccess)');
      return;
    }
    if (!allowed) {
      res.writeHead(401, { 'Content-Type': 'text/plain' }).end('a viewer token is needed for /metrics');
      return;
    }
    // No standing 'tick' subscription: the latest sample is asked for when /metrics is scraped.
    const [latest, counters] = await Promise.all([latestSample(options.core), options.core.handle('engine.counters', {})]);
    const engine = counters.ok ? engineFamilies(counters.value as EngineCountersView) : [];
    const families = [...(latest ? sampleFamilies(latest) : []), ...engine, ...selfFamilies(), ...(options.extraMetrics?.() ?? [])];
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(renderFamilies(families));
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
      const given = url.searchParams.get('token');
      if (given && findToken(given)) {
        headers['Set-Cookie'] = `${COOKIE}=${given}; HttpOnly; SameSite=Strict; Path=/`;
      }
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  };

  const server: Server = createServer((req, res) => {
    const isMetrics = (req.url ?? '').split('?')[0] === '/metrics';
    const verdict = check(req, isMetrics);
    if (verdict.status !== 200) {
      // A person who opened the address without (or with an old) token gets a page saying where the URL comes from.
      const page = verdict.status === 401 && req.method === 'GET' && !verdict.url.pathname.startsWith('/api/') && verdict.url.pathname !== '/session';
      if (page) {
        res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
        res.end(NO_TOKEN_PAGE(verdict.url.searchParams.has('token')));
      } else {
        res.writeHead(verdict.status, { 'Content-Type': 'text/plain' }).end(verdict.reason);
      }
      return;
    }
    // Who this page is: its role decides which controls the UI offers (a viewer's are disabled, with the reason).
    if (verdict.url.pathname === '/session') {
      json(res, 200, { name: verdict.who!.name, role: verdict.who!.role });
      return;
    }
    const fail = (): void => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    };
    if (isMetrics) serveMetrics(req, res, verdict.who).catch(fail);
    else if (verdict.url.pathname.startsWith('/api/')) serveApi(req, res, verdict.url, verdict.who!).catch(fail);
    else serveStatic(req, res, verdict.url).catch(fail);
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
    const who = verdict.who!;
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req, who));
  });

  // A changed process is serialized once, whatever the number of connections.
  const processJson = new WeakMap<object, string>();
  const jsonOf = (process: object): string => {
    let text = processJson.get(process);
    if (text === undefined) processJson.set(process, (text = JSON.stringify(process)));
    return text;
  };

  wss.on('connection', (ws: WebSocket, _req: IncomingMessage, who: AgentToken) => {
    const send = (message: WsServerMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const deltas = new ProcessDeltaEncoder();
    const sendTick = (tick: Tick): void => {
      if (ws.readyState !== ws.OPEN) return;
      const processes = tick.sample.processes;
      const delta = deltas.encode(processes);
      const payload = withProcesses(tick, []);
      const changed = delta.changedIndexes.map((index) => jsonOf(processes[index]!)).join(',');
      ws.send(`{"type":"tick","payload":${JSON.stringify(payload)},"processes":{"changed":[${changed}],"removed":${JSON.stringify(delta.removed)},"count":${delta.count}}}`);
      deltas.commit(delta);
    };
    const unsubscribers = eventChannels.map((event) =>
      options.core.on(event, (payload) => {
        // Drop ticks for a client that cannot keep up instead of buffering without bound.
        if (ws.bufferedAmount > 8 * MAX_CLIENT_MESSAGE_BYTES) return;
        if (event === 'tick') sendTick(payload as Tick);
        else send({ type: 'event', event, payload });
      }),
    );
    let inFlight = 0;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      onMessage(data, isBinary).catch((error: unknown) => {
        console.error('[allot] WebSocket request failed:', error);
        ws.close(1011, 'internal error');
      });
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
      if (inFlight >= MAX_IN_FLIGHT) {
        send({ type: 'response', id: message.data.id, result: { ok: false, error: { code: 'not-ready', message: `more than ${MAX_IN_FLIGHT} requests in flight; wait for answers` } } });
        return;
      }
      inFlight++;
      try {
        const result = await callAs(who, message.data.channel, message.data.payload);
        send({ type: 'response', id: message.data.id, result });
      } finally {
        inFlight--;
      }
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
  const urlFor = (entry: AgentToken): string => `http://${urlHost}:${port}/?token=${encodeURIComponent(entry.token)}`;
  return {
    url: operator ? urlFor(operator) : urlFor(tokens[0]!),
    viewerUrl: viewer ? urlFor(viewer) : undefined,
    port,
    token: (operator ?? tokens[0]!).token,
    tokens,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
    },
  };
}
