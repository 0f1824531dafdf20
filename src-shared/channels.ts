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
] as const;
export const EVENT_CHANNELS = ['tick', 'changes'] as const;

export type RequestChannelName = (typeof REQUEST_CHANNELS)[number];
export type EventChannelName = (typeof EVENT_CHANNELS)[number];

/** Electron IPC channel names derived from contract names. */
export const ipcRequestChannel = (channel: string): string => `allot:req:${channel}`;
export const ipcEventChannel = (event: string): string => `allot:evt:${event}`;
