// Settings view: every field goes through settings.update; the server's validation message shows
// next to the field; settings this runtime cannot honour are disabled with the reason.
import { useEffect, useId, useState, type ReactNode } from 'react';
import { INTERVAL_MS_MAX, INTERVAL_MS_MIN, type Settings, type SettingsPatch } from '../../src-shared/settings';
import { useStore } from '../store';
import { actBlockedReason } from '../store/connection';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MIB = 1024 * 1024;

export const BROWSER_BUILD_REASON = 'the browser build (allot serve) has no desktop window or login item; set this in the desktop app';

function Field(props: { label: string; path: string; hint?: string; disabledReason?: string; children: (id: string, describedBy: string | undefined) => ReactNode }) {
  const id = useId();
  const error = useStore((state) => state.settingsErrors[props.path]);
  const describedBy = [error ? `${id}-error` : '', props.disabledReason ? `${id}-reason` : '', props.hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`setting${error ? ' invalid' : ''}`} data-setting={props.path}>
      <label htmlFor={id}>{props.label}</label>
      <div className="setting-control">
        {props.children(id, describedBy)}
        {props.hint && (
          <div className="hint" id={`${id}-hint`}>
            {props.hint}
          </div>
        )}
        {props.disabledReason && (
          <div className="reason" id={`${id}-reason`}>
            Unavailable: {props.disabledReason}
          </div>
        )}
        {error && (
          <div className="field-error" role="alert" id={`${id}-error`}>
            {error}
          </div>
        )}
      </div>
    </div>
  );
}

/** A number input that commits on blur or Enter (not per keystroke), in a display unit. */
function NumberSetting(props: {
  id: string;
  describedBy?: string;
  value: number;
  scale: number;
  step?: number;
  min?: number;
  max?: number;
  onCommit(value: number): void;
}) {
  const display = String(Number((props.value / props.scale).toFixed(3)));
  const [draft, setDraft] = useState(display);
  useEffect(() => setDraft(display), [display]);
  const commit = (): void => {
    const number = Number(draft);
    if (draft.trim() === '' || !Number.isFinite(number)) {
      props.onCommit(Number.NaN);
      return;
    }
    const value = Math.round(number * props.scale);
    if (value !== props.value) props.onCommit(value);
  };
  return (
    <input
      id={props.id}
      type="number"
      aria-describedby={props.describedBy}
      value={draft}
      step={props.step}
      min={props.min}
      max={props.max}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === 'Enter' && commit()}
    />
  );
}

export function SettingsView() {
  const settings = useStore((state) => state.settings);
  const appInfo = useStore((state) => state.appInfo);
  const transportKind = useStore((state) => state.transportKind);
  const update = useStore((state) => state.updateSettings);
  const blocked = useStore(actBlockedReason);
  const browser = appInfo ? appInfo.runtime === 'node' : transportKind === 'websocket';
  if (!settings) {
    return (
      <section className="view settings-view" aria-label="Settings">
        <p className="empty">Loading settings…</p>
      </section>
    );
  }
  const patch = (p: SettingsPatch): void => void update(p);
  const history = settings.history;
  const numberField = (
    label: string,
    path: string,
    value: number,
    scale: number,
    toPatch: (value: number) => SettingsPatch,
    extra: { hint?: string; step?: number; min?: number; max?: number } = {},
  ) => (
    <Field label={label} path={path} hint={extra.hint}>
      {(id, describedBy) => (
        <NumberSetting id={id} describedBy={describedBy} value={value} scale={scale} step={extra.step} min={extra.min} max={extra.max} onCommit={(v) => patch(toPatch(v))} />
      )}
    </Field>
  );
  const checkbox = (label: string, path: string, checked: boolean, toPatch: (value: boolean) => SettingsPatch, disabledReason?: string) => (
    <Field label={label} path={path} disabledReason={disabledReason}>
      {(id, describedBy) => (
        <input id={id} type="checkbox" aria-describedby={describedBy} checked={checked} disabled={!!disabledReason} onChange={(e) => patch(toPatch(e.target.checked))} />
      )}
    </Field>
  );
  return (
    <section className="view settings-view" aria-label="Settings">
      {blocked && (
        <p className="reason" role="note" data-testid="act-blocked">
          Settings cannot be changed here: {blocked}
        </p>
      )}
      {/* A disabled fieldset disables every control inside it at once. */}
      <fieldset className="scroll-area settings-form" disabled={!!blocked} title={blocked}>
        <h2 className="section-title">Monitoring</h2>
        {numberField('Sampling interval (ms)', 'intervalMs', settings.intervalMs, 1, (v) => ({ intervalMs: v }), {
          hint: `${INTERVAL_MS_MIN} ms to ${INTERVAL_MS_MAX / 1000} s`,
          step: 250,
          min: INTERVAL_MS_MIN,
          max: INTERVAL_MS_MAX,
        })}
        <h2 className="section-title">Appearance and start-up</h2>
        <Field label="Theme" path="theme">
          {(id, describedBy) => (
            <select id={id} aria-describedby={describedBy} value={settings.theme} onChange={(e) => patch({ theme: e.target.value as Settings['theme'] })}>
              <option value="system">Follow the system</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          )}
        </Field>
        {checkbox('Start at login', 'startAtLogin', settings.startAtLogin, (v) => ({ startAtLogin: v }), browser ? BROWSER_BUILD_REASON : undefined)}
        {checkbox('Start minimized to the tray', 'startMinimized', settings.startMinimized, (v) => ({ startMinimized: v }), browser ? BROWSER_BUILD_REASON : undefined)}
        {checkbox('Notifications', 'notifications.enabled', settings.notifications.enabled, (v) => ({ notifications: { enabled: v } }))}
        <h2 className="section-title">History</h2>
        {checkbox('Keep history', 'history.enabled', history.enabled, (v) => ({ history: { enabled: v } }))}
        {numberField('Keep 10-second detail (hours)', 'history.retention10sMs', history.retention10sMs, HOUR_MS, (v) => ({ history: { retention10sMs: v } }), { hint: '1 hour to 30 days', step: 1 })}
        {numberField('Keep 1-minute detail (days)', 'history.retention1mMs', history.retention1mMs, DAY_MS, (v) => ({ history: { retention1mMs: v } }), { hint: '1 to 365 days', step: 1 })}
        {numberField('Keep hourly detail (days)', 'history.retention1hMs', history.retention1hMs, DAY_MS, (v) => ({ history: { retention1hMs: v } }), { hint: '7 days to 10 years', step: 1 })}
        {numberField('Database size cap (MiB)', 'history.sizeCapBytes', history.sizeCapBytes, MIB, (v) => ({ history: { sizeCapBytes: v } }), { hint: 'at least 16 MiB; the oldest detail goes first', step: 64, min: 16 })}
        <Field label="Per-process rows" path="history.processRows">
          {(id, describedBy) => (
            <select id={id} aria-describedby={describedBy} value={history.processRows} onChange={(e) => patch({ history: { processRows: e.target.value as Settings['history']['processRows'] } })}>
              <option value="off">None (programs only)</option>
              <option value="active">Active processes</option>
              <option value="all">All processes</option>
            </select>
          )}
        </Field>
        <h2 className="section-title">Agent (allot serve)</h2>
        {numberField('Port', 'agent.port', settings.agent.port, 1, (v) => ({ agent: { port: v } }), { min: 1, max: 65535, hint: 'takes effect on the next start' })}
        <Field label="Bind address" path="agent.bindAddress" hint="127.0.0.1 keeps the agent local; anything else exposes it to the network">
          {(id, describedBy) => <TextSetting id={id} describedBy={describedBy} value={settings.agent.bindAddress} onCommit={(v) => patch({ agent: { bindAddress: v } })} />}
        </Field>
        <Field label="Prometheus /metrics" path="agent.metricsAccess">
          {(id, describedBy) => (
            <select id={id} aria-describedby={describedBy} value={settings.agent.metricsAccess} onChange={(e) => patch({ agent: { metricsAccess: e.target.value as Settings['agent']['metricsAccess'] } })}>
              <option value="off">Off</option>
              <option value="token">Token holders</option>
              <option value="open">Anyone who can reach the port</option>
            </select>
          )}
        </Field>
        <h2 className="section-title">Excluded from the engine</h2>
        <Field label="Programs" path="excludedPrograms" hint="The engine never touches these (add from the process context menu)">
          {(id, describedBy) => (
            <ul id={id} className="excluded" aria-describedby={describedBy}>
              {settings.excludedPrograms.length === 0 && <li className="muted">None</li>}
              {settings.excludedPrograms.map((program) => (
                <li key={program}>
                  <span>{program}</span>
                  <button type="button" aria-label={`Stop excluding ${program}`} onClick={() => patch({ excludedPrograms: settings.excludedPrograms.filter((p) => p !== program) })}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )}
        </Field>
      </fieldset>
    </section>
  );
}

function TextSetting(props: { id: string; describedBy?: string; value: string; onCommit(value: string): void }) {
  const [draft, setDraft] = useState(props.value);
  useEffect(() => setDraft(props.value), [props.value]);
  const commit = (): void => {
    if (draft !== props.value) props.onCommit(draft.trim());
  };
  return (
    <input id={props.id} type="text" aria-describedby={props.describedBy} value={draft} onChange={(e) => setDraft(e.target.value)} onBlur={commit} onKeyDown={(e) => e.key === 'Enter' && commit()} />
  );
}
