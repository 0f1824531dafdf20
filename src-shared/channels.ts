// Channel names only, with no schema library attached: the sandboxed preload imports this file
// (it cannot load zod), and contract.ts checks at compile time that these lists match its schemas.

export const REQUEST_CHANNELS = [
  'app.info',
  'system.info',
  'system.summary',
  'processes.snapshot',
  'settings.get',
  'settings.update',
  'capabilities.get',
  'changes.apply',
  'changes.undo',
  'changes.list',
  'changes.restoreAll',
  'audit.list',
  'history.system',
  'history.program',
  'history.top',
  'history.hourOfWeek',
  'history.status',
  'export.run',
  'engine.state',
  'engine.setMode',
  'engine.pause',
  'engine.setProfile',
  'engine.applyAdvice',
  'engine.counters',
  'engine.log',
  'rules.get',
  'rules.set',
  'profiles.list',
  'profiles.get',
] as const;
export const EVENT_CHANNELS = ['tick', 'changes', 'engine'] as const;

export type RequestChannelName = (typeof REQUEST_CHANNELS)[number];

/**
 * Channels that change something (a process, a setting, the journal). Agent tokens with the viewer
 * role may call every other channel; these need the operator role.
 */
export const ACT_CHANNELS: ReadonlySet<RequestChannelName> = new Set<RequestChannelName>([
  'settings.update',
  'changes.apply',
  'changes.undo',
  'changes.restoreAll',
  'engine.setMode',
  'engine.pause',
  'engine.setProfile',
  'engine.applyAdvice',
  'rules.set',
]);
export type EventChannelName = (typeof EVENT_CHANNELS)[number];

/** Electron IPC channel names derived from contract names. */
export const ipcRequestChannel = (channel: string): string => `allot:req:${channel}`;
export const ipcEventChannel = (event: string): string => `allot:evt:${event}`;
