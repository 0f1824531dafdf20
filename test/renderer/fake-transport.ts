// A fake of the renderer's transport, typed as the real Transport interface: records every request
// and answers from per-channel handlers; events are pushed by the test with `emit`.
import type { EventChannel, EventPayload, RequestChannel, RequestInput, RequestOutput } from '../../src-shared/contract';
import type { ConnectionState, Transport } from '../../src-renderer/ipc/client';

export type Handlers = { [C in RequestChannel]?: (input: RequestInput<C>) => RequestOutput<C> | Promise<RequestOutput<C>> };

export interface FakeTransport extends Transport {
  calls: Array<{ channel: RequestChannel; input: unknown }>;
  handlers: Handlers;
  emit<E extends EventChannel>(event: E, payload: EventPayload<E>): void;
  setConnection(state: ConnectionState): void;
  /** The role session() answers (default operator). */
  role: 'viewer' | 'operator';
}

export function createFakeTransport(handlers: Handlers = {}): FakeTransport {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const connection = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'open';
  const fake: FakeTransport = {
    kind: 'websocket',
    calls: [],
    handlers,
    async invoke<C extends RequestChannel>(channel: C, input: RequestInput<C>): Promise<RequestOutput<C>> {
      fake.calls.push({ channel, input });
      const handler = fake.handlers[channel] as ((input: RequestInput<C>) => RequestOutput<C> | Promise<RequestOutput<C>>) | undefined;
      if (!handler) throw new Error(`no fake handler for ${channel}`);
      return handler(input);
    },
    subscribe<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const entry = listener as (payload: unknown) => void;
      set.add(entry);
      return () => set.delete(entry);
    },
    onConnection(listener) {
      connection.add(listener);
      listener(state);
      return () => connection.delete(listener);
    },
    role: 'operator',
    session: async () => ({ role: fake.role, name: fake.role }),
    emit(event, payload) {
      listeners.get(event)?.forEach((listener) => listener(payload));
    },
    setConnection(next) {
      state = next;
      connection.forEach((listener) => listener(next));
    },
  };
  return fake;
}
