import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import WebSocket from 'ws';
import { createCore, type Core } from '../../../src-main/core/service';
import { startAgent, type Agent } from '../../../src-main/agent/server';
import type { SampleSource } from '../../../src-main/core/sample-source';
import { fixtureProcess, fixtureSample } from '../../helpers/sample-fixture';
import type { Tick, WsServerMessage } from '../../../src-shared/contract';
import type { Sample } from '../../../src-shared/domain';
import { ProcessDeltaDecoder } from '../../../src-shared/process-delta';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

function fakeSource(): SampleSource {
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    name: 'fake',
    info: async () => ({ platform: 'linux', hostname: 'h', osRelease: 'r', cpuModel: 'c', logicalCores: 2, totalMemoryBytes: 1 }),
    start: async (intervalMs, onSample) => {
      onSample(fixtureSample());
      timer = setInterval(() => onSample(fixtureSample()), intervalMs);
    },
    setIntervalMs: () => undefined,
    stop: async () => clearInterval(timer),
  };
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, method }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function wsStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('error', () => undefined);
  });
}

describe('agent', () => {
  let core: Core;
  let agent: Agent;
  beforeAll(async () => {
    const staticDir = mkdtempSync(join(tmpdir(), 'allot-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Allot</title>');
    core = createCore({ source: fakeSource(), runtime: 'node', version: '0.0.0', intervalMs: 100 });
    await core.start();
    agent = await startAgent({ core, staticDir, port: 0 });
  });
  afterAll(async () => {
    await agent.close();
    await core.stop();
  });

  it('binds loopback and prints a URL with a token', () => {
    expect(agent.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${agent.port}/\\?token=[A-Za-z0-9_-]{32}$`));
  });

  it('answers 401 without the token and 200 with it', async () => {
    expect((await get(agent.port, '/')).status).toBe(401);
    expect((await get(agent.port, '/?token=wrong')).status).toBe(401);
    const ok = await get(agent.port, `/?token=${agent.token}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<title>Allot</title>');
    expect(String(ok.headers['set-cookie'])).toContain('HttpOnly');
    expect(ok.headers['content-security-policy']).toContain("default-src 'self'");
    // The cookie set on the first load authorises later requests.
    expect((await get(agent.port, '/index.html', { cookie: `allot_token=${agent.token}` })).status).toBe(200);
  });

  it('answers 403 to a foreign Host or Origin, even with the token', async () => {
    expect((await get(agent.port, `/?token=${agent.token}`, { host: 'evil.example' })).status).toBe(403);
    expect((await get(agent.port, `/?token=${agent.token}`, { origin: 'http://evil.example' })).status).toBe(403);
  });

  it('refuses path traversal', async () => {
    const res = await get(agent.port, `/..%2f..%2fetc%2fpasswd?token=${agent.token}`);
    expect([403, 404]).toContain(res.status);
    expect(res.body).not.toContain('root:');
  });

  it('guards the WebSocket: 401 without token, 403 for a foreign Origin', async () => {
    const base = `ws://127.0.0.1:${agent.port}/ws`;
    expect(await wsStatus(base)).toBe(401);
    expect(await wsStatus(`${base}?token=${agent.token}`, { origin: 'http://evil.example' })).toBe(403);
    expect(await wsStatus(`${base}?token=${agent.token}`, { origin: `http://127.0.0.1:${agent.port}` })).toBe(101);
  });

  it('round-trips a valid request, refuses an invalid one, and pushes ticks', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${agent.port}/ws?token=${agent.token}`);
    const messages: Array<{ type: string; id?: number; result?: { ok: boolean; value?: unknown; error?: { code: string } }; event?: string }> = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'request', id: 1, channel: 'processes.snapshot', payload: {} }));
    ws.send(JSON.stringify({ type: 'request', id: 2, channel: 'processes.snapshot', payload: { evil: true } }));
    ws.send(JSON.stringify({ type: 'request', id: 3, channel: 'no.such.channel', payload: {} }));
    const waitFor = async (predicate: () => boolean): Promise<void> => {
      for (let i = 0; i < 100 && !predicate(); i++) await new Promise((r) => setTimeout(r, 20));
    };
    await waitFor(() => messages.filter((m) => m.type === 'response').length === 3 && messages.some((m) => m.type === 'tick'));
    const byId = (id: number) => messages.find((m) => m.type === 'response' && m.id === id)!;
    expect(byId(1).result).toMatchObject({ ok: true, value: { processes: [{ pid: 4242, name: 'fixture' }] } });
    expect(byId(2).result).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(byId(3).result).toMatchObject({ ok: false, error: { code: 'invalid-channel' } });
    expect(messages.find((m) => m.type === 'tick')).toMatchObject({ payload: { sample: { processes: [] } }, processes: { count: 1 } });
    ws.close();
  });
});

describe('agent ticks as process deltas', () => {
  it('sends only changed processes, and the page side rebuilds every tick the core emitted', async () => {
    // pid 1 never changes, pid 2 changes every tick, pid 100+n lives for one tick only.
    let n = 0;
    const next = (): Sample => {
      n++;
      return fixtureSample([fixtureProcess({ pid: 1, name: 'idle' }), fixtureProcess({ pid: 2, name: 'busy', cpuPercent: n }), fixtureProcess({ pid: 100 + n, name: `short${n}`, startTime: n })], 1_763_700_000_000 + n * 100);
    };
    let timer: ReturnType<typeof setInterval> | undefined;
    const source: SampleSource = { ...fakeSource(), start: async (intervalMs, onSample) => void (timer = setInterval(() => onSample(next()), intervalMs)), stop: async () => clearInterval(timer) };
    const core = createCore({ source, runtime: 'node', version: '0.0.0', intervalMs: 50 });
    const emitted = new Map<number, Tick>();
    core.on('tick', (tick) => emitted.set(tick.seq, tick));
    await core.start();
    const staticDir = mkdtempSync(join(tmpdir(), 'allot-static-'));
    const agent = await startAgent({ core, staticDir, port: 0 });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${agent.port}/ws?token=${agent.token}`);
      const decoder = new ProcessDeltaDecoder();
      const received: Array<{ tick: Tick; changed: number; removed: string[] }> = [];
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as WsServerMessage;
        if (message.type !== 'tick') return;
        const processes = decoder.apply(message.processes);
        expect(processes).not.toBeNull();
        received.push({ tick: { ...message.payload, sample: { ...message.payload.sample, processes: processes! } }, changed: message.processes.changed.length, removed: [...message.processes.removed] });
      });
      for (let i = 0; i < 200 && received.length < 5; i++) await new Promise((r) => setTimeout(r, 20));
      ws.close();
      expect(received.length).toBeGreaterThanOrEqual(5);
      // The first tick is complete; after it only the busy process and the new short-lived one come,
      // and the previous short-lived one is named as gone.
      expect(received[0]!.changed).toBe(3);
      for (const { changed, removed } of received.slice(1)) {
        expect(changed).toBe(2);
        expect(removed).toHaveLength(1);
      }
      const sortByPid = (tick: Tick) => ({ ...tick, sample: { ...tick.sample, processes: [...tick.sample.processes].sort((a, b) => a.pid - b.pid) } });
      for (const { tick } of received) expect(sortByPid(tick)).toEqual(sortByPid(emitted.get(tick.seq)!));
    } finally {
      await agent.close();
      await core.stop();
    }
  });
});

describe('agent roles and metrics', () => {
  let core: Core;
  let real: Core;
  let agent: Agent;
  const applied: Array<{ channel: unknown; actor: string | undefined }> = [];
  beforeAll(async () => {
    const staticDir = mkdtempSync(join(tmpdir(), 'allot-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html>');
    real = createCore({ source: fakeSource(), runtime: 'node', version: '0.0.0', intervalMs: 100 });
    await real.start();
    // Record who the core was asked by; answer as the real core would.
    core = Object.assign(Object.create(real) as Core, {
      handle: (channel: unknown, payload: unknown, context?: { actor: string }) => {
        applied.push({ channel, actor: context?.actor });
        return real.handle(channel, payload, context as never);
      },
      on: real.on,
      stop: real.stop,
    });
    agent = await startAgent({
      core,
      staticDir,
      port: 0,
      tokens: [
        { name: 'ops desk', role: 'operator', token: 'o'.repeat(32) },
        { name: 'grafana', role: 'viewer', token: 'v'.repeat(32) },
      ],
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
  });
  afterAll(async () => {
    await agent.close();
    await core.stop();
  });

  it('prints an operator URL and a viewer URL', () => {
    expect(agent.url).toContain(`token=${'o'.repeat(32)}`);
    expect(agent.viewerUrl).toContain(`token=${'v'.repeat(32)}`);
  });

  it('lets a viewer read but not act (403), and audits an operator by token name', async () => {
    const payload = JSON.stringify({ target: { pid: 4242, startTime: 123456 }, change: { op: 'priority', value: { nice: 5 } } });
    const viewerRead = await get(agent.port, '/api/processes.snapshot', { authorization: `Bearer ${'v'.repeat(32)}` }, 'POST', '{}');
    expect(viewerRead.status).toBe(200);
    expect(JSON.parse(viewerRead.body)).toMatchObject({ ok: true, value: { processes: [{ pid: 4242 }] } });
    applied.length = 0;
    const viewerAct = await get(agent.port, '/api/changes.apply', { authorization: `Bearer ${'v'.repeat(32)}`, 'content-type': 'application/json' }, 'POST', payload);
    expect(viewerAct.status).toBe(403);
    expect(JSON.parse(viewerAct.body)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(applied.filter((call) => call.channel === 'changes.apply')).toEqual([]);
    const operatorAct = await get(agent.port, '/api/changes.apply', { authorization: `Bearer ${'o'.repeat(32)}` }, 'POST', payload);
    // This core has no actuator: the request gets through the role check and is answered not-ready.
    expect(JSON.parse(operatorAct.body)).toMatchObject({ ok: false, error: { code: 'not-ready' } });
    expect(applied.find((call) => call.channel === 'changes.apply')?.actor).toBe('agent:ops desk');
    expect((await get(agent.port, '/api/changes.apply', {}, 'POST', payload)).status).toBe(401);
    expect((await get(agent.port, '/api/processes.snapshot', { authorization: `Bearer ${'o'.repeat(32)}` }, 'POST', '{nope')).status).toBe(400);
  });

  it('answers an oversized body with the typed 413 before reading it, and never resets the connection', async () => {
    const auth = `Bearer ${'o'.repeat(32)}`;
    // Declared too large: answered on the headers alone, while the client has sent only a little of it.
    const early = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: agent.port, path: '/api/settings.get', method: 'POST', headers: { authorization: auth, 'content-length': String(64 * 2 ** 20) } }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.setTimeout(3000, () => {
        req.destroy();
        reject(new Error('no answer while the body was still being sent'));
      });
      req.write('x'.repeat(1024)); // and never the rest
    });
    expect(early.status).toBe(413);
    expect(JSON.parse(early.body)).toMatchObject({ ok: false, error: { code: 'invalid-input', message: expect.stringMatching(/too large/) } });
    // Streamed without a length, well past the limit: the answer arrives every time, no ECONNRESET.
    for (let attempt = 0; attempt < 10; attempt++) {
      const streamed = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: agent.port, path: '/api/settings.get', method: 'POST', headers: { authorization: auth, 'transfer-encoding': 'chunked' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        const chunk = 'y'.repeat(256 * 1024);
        for (let i = 0; i < 8; i++) req.write(chunk);
        req.end();
      });
      expect(streamed).toBe(413);
    }
  });

  it('tells a page its role at /session, and answers a page request without a valid token with an explaining HTML page', async () => {
    const viewer = await get(agent.port, '/session', { authorization: `Bearer ${'v'.repeat(32)}` });
    expect(JSON.parse(viewer.body)).toEqual({ name: 'grafana', role: 'viewer' });
    expect((await get(agent.port, '/session')).status).toBe(401);
    const page = await get(agent.port, '/?token=wrong-token-wrong-token');
    expect(page.status).toBe(401);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('no longer');
    expect(page.body).toContain('Read-only (viewer)');
  });

  it('answers 400 to a malformed channel escape and survives hostile WebSocket payloads', async () => {
    expect((await get(agent.port, '/api/%E0%A4%A', { authorization: `Bearer ${'o'.repeat(32)}` }, 'POST', '{}')).status).toBe(400);
    const ws = new WebSocket(`ws://127.0.0.1:${agent.port}/ws?token=${'v'.repeat(32)}`);
    const responses: Array<{ id: number; result: { ok: boolean } }> = [];
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'response') responses.push(message);
    });
    await new Promise((resolve) => ws.once('open', resolve));
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    ws.send(`{"type":"request","id":1,"channel":"app.info","payload":${deep}}`);
    ws.send(JSON.stringify({ type: 'request', id: 2, channel: 'app.info', payload: {} }));
    for (let i = 0; i < 100 && !responses.some((r) => r.id === 2); i++) await new Promise((r) => setTimeout(r, 20));
    expect(responses.find((r) => r.id === 2)?.result.ok).toBe(true);
    ws.close();
  });

  it('refuses the viewer on the WebSocket for acting channels', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${agent.port}/ws?token=${'v'.repeat(32)}`);
    const response = new Promise<{ result: { ok: boolean; error?: { code: string } } }>((resolve) =>
      ws.on('message', (data) => {
        const message = JSON.parse(String(data));
        if (message.type === 'response') resolve(message);
      }),
    );
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'request', id: 9, channel: 'changes.restoreAll', payload: {} }));
    expect((await response).result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    ws.close();
  });

  it('serves /metrics in Prometheus text format to token holders', async () => {
    expect((await get(agent.port, '/metrics')).status).toBe(401);
    const res = await get(agent.port, '/metrics', { authorization: `Bearer ${'v'.repeat(32)}` });
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toContain('version=0.0.4');
    const families = parsePrometheusTextFormat(res.body) as Array<{ name: string; type: string; metrics: Array<{ value: string; labels?: Record<string, string> }> }>;
    const byName = new Map(families.map((family) => [family.name, family]));
    expect(Number(byName.get('allot_system_cpu_percent')!.metrics[0]!.value)).toBe(12.5);
    expect(byName.get('allot_core_cpu_percent')!.metrics.map((m) => m.labels?.['core'])).toEqual(['0', '1']);
    expect(byName.get('allot_program_cpu_percent')!.metrics[0]!.labels?.['name']).toBe('fixture');
    expect(byName.get('allot_memory_total_bytes')!.type).toBe('GAUGE');
    // The agent's own cost: this process's CPU and memory, and the serving thread's event-loop delay.
    const cpu = Number(byName.get('process_cpu_seconds_total')!.metrics[0]!.value);
    expect(byName.get('process_cpu_seconds_total')!.type).toBe('COUNTER');
    expect(cpu).toBeGreaterThan(0);
    expect(cpu).toBeLessThanOrEqual((process.cpuUsage().user + process.cpuUsage().system) / 1e6);
    expect(Number(byName.get('process_resident_memory_bytes')!.metrics[0]!.value)).toBeGreaterThan(1e6);
  });

  it('reports how busy the event loop of the serving thread was, overall and since the last scrape', async () => {
    const auth = { authorization: `Bearer ${'v'.repeat(32)}` };
    const read = async () => {
      const families = parsePrometheusTextFormat((await get(agent.port, '/metrics', auth)).body) as Array<{ name: string; metrics: Array<{ value: string }> }>;
      const byName = new Map(families.map((family) => [family.name, family]));
      return { active: Number(byName.get('nodejs_eventloop_active_seconds_total')!.metrics[0]!.value), ratio: byName.get('nodejs_eventloop_utilization_ratio')?.metrics[0]?.value };
    };
    const before = await read();
    // Block this thread (the agent's in this test) for 60 ms: the busy time grows by at least that.
    const until = Date.now() + 60;
    while (Date.now() < until) {
      /* busy */
    }
    const after = await read();
    expect(after.active - before.active).toBeGreaterThanOrEqual(0.06);
    expect(Number(after.ratio)).toBeGreaterThan(0);
    expect(Number(after.ratio)).toBeLessThanOrEqual(1);
  });

  it('adds engine mode, forecasts and action counters from engine reports', async () => {
    const target = { pid: 4242, startTime: 123456, name: 'fixture', programId: '/usr/bin/fixture' };
    const decision = {
      id: 'd1', at: 1, target, change: { op: 'nice', value: 10 }, reason: 'hog', numbers: {}, expectedEffect: 'less contention', source: 'balancer', apply: true,
    };
    const report = {
      at: 1, mode: 'auto', alerts: [], events: [], external: [], modelErrors: [], timing: { forecastMs: 0, engineMs: 0, actMs: 0 },
      decisions: [{ decision, changes: [{ op: 'priority', kind: 'applied', changeId: 1 }] }],
      forecasts: { systemCpu: [{ horizonMs: 5000, target: 'point', model: 'ewma', p50: 40, p90: 55 }], systemMemory: [], programs: [], programSeries: 0 },
    };
    real.emit('engine', report as never);
    real.emit('engine', report as never);
    const res = await get(agent.port, '/metrics', { authorization: `Bearer ${'v'.repeat(32)}` });
    const families = parsePrometheusTextFormat(res.body) as Array<{ name: string; metrics: Array<{ value: string; labels?: Record<string, string> }> }>;
    const byName = new Map(families.map((family) => [family.name, family]));
    expect(byName.get('allot_engine_mode')!.metrics.find((m) => m.labels?.['mode'] === 'auto')!.value).toBe('1');
    expect(byName.get('allot_forecast')!.metrics.find((m) => m.labels?.['quantile'] === '0.9')).toMatchObject({ value: '55', labels: { series: 'system_cpu_percent', horizon: '5s' } });
    expect(byName.get('allot_engine_actions_total')!.metrics).toEqual([{ labels: { op: 'priority', result: 'applied' }, value: '2' }]);
  });
});

describe('agent tokens in the data directory', () => {
  it('creates them once with mode 0600, keeps them across starts, and rotates them on request', async () => {
    const { loadOrCreateTokens } = await import('../../../src-main/agent/server');
    const { statSync, chmodSync } = await import('node:fs');
    const dataDir = mkdtempSync(join(tmpdir(), 'allot-tokens-'));
    const first = loadOrCreateTokens(dataDir);
    expect(first.created).toBe(true);
    expect(first.tokens.map((t) => t.role)).toEqual(['operator', 'viewer']);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    const again = loadOrCreateTokens(dataDir);
    expect(again).toMatchObject({ created: false, tokens: first.tokens });
    const rotated = loadOrCreateTokens(dataDir, true);
    expect(rotated.tokens[0]!.token).not.toBe(first.tokens[0]!.token);
    expect(loadOrCreateTokens(dataDir).tokens).toEqual(rotated.tokens);
    // A file others can read is refused, not used or silently replaced.
    chmodSync(first.path, 0o644);
    expect(() => loadOrCreateTokens(dataDir)).toThrow(/chmod 600/);
  });
});
