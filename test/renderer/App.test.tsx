// @vitest-environment happy-dom
// The shell re-renders when the connection, view, theme or banners change, never on a plain tick:
// a tick's data reaches the components that show it on their own (the table's painter, the
// summary), so the active view is not rendered again 1,000 processes at a time.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, render, screen } from '@testing-library/react';
import { useStore } from '../../src-renderer/store';
import { setClient } from '../../src-renderer/ipc/client';
import { createFakeTransport, type FakeTransport } from './fake-transport';
import { fixtureSample } from '../helpers/sample-fixture';

const renders = vi.hoisted(() => ({ processesView: 0 }));
vi.mock('../../src-renderer/views/ProcessesView', () => ({
  SEARCH_INPUT_ID: 'process-search',
  ProcessesView: () => {
    renders.processesView++;
    return <div data-testid="processes-view" />;
  },
}));
const { App } = await import('../../src-renderer/App');

const initial = useStore.getState();
let transport: FakeTransport;
beforeEach(() => {
  const never = () => new Promise<never>(() => undefined);
  transport = createFakeTransport({
    'app.info': never,
    'system.info': never,
    'capabilities.get': never,
    'settings.get': never,
    'changes.list': never,
    'engine.report': never,
  } as never);
  setClient(transport);
  useStore.setState({ ...initial }, true);
  renders.processesView = 0;
});
afterEach(() => {
  cleanup();
  setClient(undefined);
});

describe('App', () => {
  it('does not render the active view again on a tick', () => {
    render(<App />);
    expect(screen.getByTestId('processes-view')).toBeTruthy();
    const before = renders.processesView;
    for (let seq = 0; seq < 3; seq++) act(() => useStore.getState().applyTick({ seq, sample: fixtureSample(undefined, 1_763_700_001_000 + seq * 1000) }));
    expect(renders.processesView).toBe(before);
  });

  it('says when the data is stale, with the time of the last sample', () => {
    render(<App />);
    act(() => useStore.getState().applyTick({ seq: 0, sample: fixtureSample(undefined, 1_763_700_001_000) }));
    expect(screen.queryByTestId('connection-banner')).toBeNull();
    act(() => transport.setConnection('closed'));
    expect(screen.getByTestId('connection-banner')).toBeTruthy();
    expect(screen.getByTestId('stale-since').getAttribute('datetime')).toBe(new Date(1_763_700_001_000).toISOString());
  });
});
