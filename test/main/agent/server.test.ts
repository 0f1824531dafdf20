import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import WebSocket from 'ws';
import { createCore, type Core } from '../../../src-main/core/service';
import { startAgent, type Agent } from '../../../src-main/agent/server';
import type { SampleSource } from '../../../src-main/core/sample-source';
import { fixtureSample } from '../../helpers/sample-fixture';

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

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
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
    await waitFor(() => messages.filter((m) => m.type === 'response').length === 3 && messages.some((m) => m.type === 'event'));
    const byId = (id: number) => messages.find((m) => m.type === 'response' && m.id === id)!;
    expect(byId(1).result).toMatchObject({ ok: true, value: { processes: [{ pid: 4242, name: 'fixture' }] } });
    expect(byId(2).result).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(byId(3).result).toMatchObject({ ok: false, error: { code: 'invalid-channel' } });
    expect(messages.find((m) => m.type === 'event')?.event).toBe('tick');
    ws.close();
  });
});
