// The sidebar's views, as data.
import type { ReactNode } from 'react';
import type { ViewId } from '../store/ui';
import { ChangesView } from './ChangesView';
import { EngineView } from './EngineView';
import { HistoryView } from './HistoryView';
import { RulesView } from './RulesView';
import { PerformanceView } from './PerformanceView';
import { ProcessesView } from './ProcessesView';
import { SettingsView } from './SettingsView';

export interface ViewContext {
  dark: boolean;
}

export interface NavItem {
  id: ViewId;
  label: string;
  /** A one-character glyph shown before the label. */
  icon: string;
  render(context: ViewContext): ReactNode;
}

export const NAV_ITEMS: readonly NavItem[] = [
  { id: 'processes', label: 'Processes', icon: '≡', render: ({ dark }) => <ProcessesView dark={dark} /> },
  { id: 'performance', label: 'Performance', icon: '∿', render: ({ dark }) => <PerformanceView dark={dark} /> },
  { id: 'engine', label: 'Engine', icon: '◎', render: () => <EngineView /> },
  { id: 'rules', label: 'Rules', icon: '§', render: () => <RulesView /> },
  { id: 'history', label: 'History', icon: '▦', render: ({ dark }) => <HistoryView dark={dark} /> },
  { id: 'changes', label: 'Changes', icon: '↺', render: () => <ChangesView /> },
  { id: 'settings', label: 'Settings', icon: '⚙', render: () => <SettingsView /> },
];
