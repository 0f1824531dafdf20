// The only file that touches window.allot or the WebSocket. It picks the transport once (the
// Electron preload bridge when present, otherwise a WebSocket to the `allot serve` agent that
// served this page) and offers the same typed AllotApi either way.
import {
  RequestError,
  type AllotApi,
  type AllotBridge,
  type EventChannel,
  type EventPayload,
  type RequestChannel,
  type RequestInput,
  type RequestOutput,
  type IpcTickMessage,
  type Result,
  type Tick,
  type WsServerMessage,
} from '../../src-shared/contract';
import { ProcessDeltaDecoder, withProcesses } from '../../src-shared/process-delta';

/** 'rejected' is final: the agent no longer accepts this page's token; only a new URL helps. */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'rejected';

export type SessionRole = 'viewer' | 'operator';

export interface Transport extends AllotApi {
  readonly kind: 'electron' | 'websocket';
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** What this page may do: a viewer token reads only. The desktop window is always an operator. */
  session(): Promise<{ role: SessionRole; name: string }>;
}

declare global {
  interface Window {
    allot?: AllotBridge;
  }
}

function unwrap<T>(result: Result<unknown>): T {
  if (result.ok) return result.value as T;
  throw new RequestError(result.error);
}

export function createBridgeTransport(bridge: AllotBridge): Transport {
  // Ticks come as process deltas (IpcTickMessage): one subscription decodes them for every listener.
  // Until a complete one arrives (and again after a delta that does not add up) ticks are skipped.
  const tickListeners = new Set<(tick: Tick) => void>();
  const deltas = new ProcessDeltaDecoder();
  let inStep = false;
  const onTick = (payload: unknown): void => {
    const message = payload as IpcTickMessage;
    if (message.complete) {
      deltas.reset();
      inStep = true;
    }
    if (!inStep) return;
    const processes = deltas.apply(message.processes);
    if (!processes) {
      inStep = false;
      console.error('[allot] tick stream out of step; waiting for a complete tick');
      return;
    }
    const tick = withProcesses(message.tick, processes);
    tickListeners.forEach((listener) => listener(tick));
  };
  // At once, not on the first listener: main starts each page with a complete tick right after the
  // page has loaded, and this transport is created while the page's scripts run (main.tsx).
  bridge.subscribe('tick', onTick);
  return {
    kind: 'electron',
    async invoke<C extends RequestChannel>(channel: C, input: RequestInput<C>): Promise<RequestOutput<C>> {
      return unwrap<RequestOutput<C>>(await bridge.invoke(channel, input));
    },
    subscribe<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void) {
      if (event === 'tick') {
        const entry = listener as (tick: Tick) => void;
        tickListeners.add(entry);
        return () => {
          tickListeners.delete(entry);
        };
      }
      return bridge.subscribe(event, (payload) => listener(payload as EventPayload<E>));
    },
    onConnection(listener) {
      listener('open');
      return () => undefined;
    },
    session: async () => ({ role: 'operator', name: 'desktop' }),
  };
}

/** Token from the page URL (?token=...), kept for reconnects and reloads in this tab. */
export function pageToken(location: Location, storage: Storage | undefined): string | undefined {
  const fromUrl = new URLSearchParams(location.search).get('token') ?? undefined;
  if (fromUrl) storage?.setItem('allot.token', fromUrl);
  return fromUrl ?? storage?.getItem('allot.token') ?? undefined;
}

/**
 * Asks the agent who this token is. 401: the token is not accepted (rotated, or the agent has other
 * tokens): a final state. Anything else that fails (agent down) is not an answer: undefined.
 */
export async function fetchSession(sessionUrl: string, token: string | undefined, fetchImpl: typeof fetch = fetch): Promise<{ role: SessionRole; name: string } | 'rejected' | undefined> {
  try {
    const response = await fetchImpl(sessionUrl, { headers: token ? { Authorization: `Bearer ${token}` } : {}, credentials: 'same-origin', cache: 'no-store' });
    if (response.status === 401) return 'rejected';
    if (!response.ok) return undefined;
    const body = (await response.json()) as { role?: unknown; name?: unknown };
    return body.role === 'viewer' || body.role === 'operator' ? { role: body.role, name: String(body.name ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

export function createWebSocketTransport(url: string, sessionUrl?: string, token?: string): Transport {
  let socket: WebSocket | undefined;
  let nextId = 1;
  let state: ConnectionState = 'connecting';
  let retryMs = 500;
  const pending = new Map<number, { resolve: (result: Result<unknown>) => void }>();
  const queue: string[] = [];
  const eventListeners = new Map<string, Set<(payload: unknown) => void>>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  /** This connection's live process set; ticks arrive as deltas against it. */
  const deltas = new ProcessDeltaDecoder();
  const setState = (next: ConnectionState): void => {
    state = next;
    connectionListeners.forEach((listener) => listener(next));
  };

  const connect = (): void => {
    setState('connecting');
    const ws = new WebSocket(url);
    socket = ws;
    deltas.reset();
    ws.onopen = () => {
      retryMs = 500;
      setState('open');
      for (const message of queue.splice(0)) ws.send(message);
    };
    ws.onmessage = (event: MessageEvent<string>) => {
      if (socket !== ws) return;
      let message: WsServerMessage;
      try {
        message = JSON.parse(event.data) as WsServerMessage;
      } catch {
        return;
      }
      if (message.type === 'response') {
        const entry = pending.get(message.id);
        pending.delete(message.id);
        entry?.resolve(message.result);
      } else if (message.type === 'event') {
        eventListeners.get(message.event)?.forEach((listener) => listener(message.payload));
      } else if (message.type === 'tick') {
        const processes = deltas.apply(message.processes);
        if (!processes) {
          // The delta does not add up: drop this connection; the next one starts complete.
          console.error('[allot] tick stream out of step; reconnecting');
          ws.close();
          return;
        }
        const tick = withProcesses(message.payload, processes);
        eventListeners.get('tick')?.forEach((listener) => listener(tick));
      }
    };
    ws.onclose = () => {
      for (const [id, entry] of pending) {
        entry.resolve({ ok: false, error: { code: 'internal', message: 'connection to Allot lost' } });
        pending.delete(id);
      }
      setState('closed');
      const retry = (): void => {
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 10_000);
      };
      if (!sessionUrl) return retry();
      // A browser hides why a WebSocket was refused: ask over HTTP whether the token is still good.
      void fetchSession(sessionUrl, token).then((answer) => {
        if (answer === 'rejected') {
          for (const [id, entry] of pending) {
            entry.resolve({ ok: false, error: { code: 'forbidden', message: 'this address\'s token is no longer accepted' } });
            pending.delete(id);
          }
          queue.length = 0;
          setState('rejected');
        } else {
          retry();
        }
      });
    };
  };
  connect();

  return {
    kind: 'websocket',
    invoke<C extends RequestChannel>(channel: C, input: RequestInput<C>): Promise<RequestOutput<C>> {
      const id = nextId++;
      const message = JSON.stringify({ type: 'request', id, channel, payload: input });
      if (state === 'rejected') return Promise.reject(new RequestError({ code: 'forbidden', message: 'this address\'s token is no longer accepted; open the new URL that `allot serve` printed' }));
      return new Promise<Result<unknown>>((resolve) => {
        pending.set(id, { resolve });
        if (state === 'open' && socket?.readyState === WebSocket.OPEN) socket.send(message);
        else queue.push(message);
      }).then((result) => unwrap<RequestOutput<C>>(result));
    },
    subscribe<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void) {
      let set = eventListeners.get(event);
      if (!set) eventListeners.set(event, (set = new Set()));
      const entry = listener as (payload: unknown) => void;
      set.add(entry);
      return () => set.delete(entry);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(state);
      return () => connectionListeners.delete(listener);
    },
    async session() {
      const answer = sessionUrl ? await fetchSession(sessionUrl, token) : undefined;
      if (answer === 'rejected' || answer === undefined) throw new RequestError({ code: 'not-ready', message: 'could not read this page\'s role from the agent' });
      return answer;
    },
  };
}

function pickTransport(): Transport {
  if (window.allot) return createBridgeTransport(window.allot);
  const token = pageToken(window.location, window.sessionStorage);
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return createWebSocketTransport(`${scheme}://${window.location.host}/ws${query}`, `${window.location.origin}/session`, token);
}

let transport: Transport | undefined;
/** The app's one transport, created on first use. */
export function client(): Transport {
  return (transport ??= pickTransport());
}

/** Replace the transport (component and store tests pass a fake typed as Transport). */
export function setClient(next: Transport | undefined): void {
  transport = next;
}
