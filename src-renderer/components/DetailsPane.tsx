// Details of the selected process: live CPU and memory charts from the history kept in the store,
// every field (with the "n/a" marker where the collector could not read it), and changes in force.
import { useEffect, useMemo } from 'react';
import type { ProcessSample } from '../../src-shared/domain';
import { formatBytes, formatPercent } from '../../src-shared/format';
import { useStore } from '../store';
import { IN_FORCE_STATUSES } from '../store/changes';
import { describeValue, OPERATION_LABELS } from './change-format';
import { Chart } from './Chart';
import { ALL_COLUMNS, columnUnavailable } from '../model/process-columns';
import { processKey, programOf } from '../model/process-rows';
import { ProfileSummary } from './ProfileSummary';
import { formatHorizon } from './engine-format';

export interface DetailsPaneProps {
  process: ProcessSample;
  dark: boolean;
  onClose(): void;
}

export function DetailsPane({ process, dark, onClose }: DetailsPaneProps) {
  const key = processKey(process);
  // Re-read the history when it changes (it is mutated in place; the version says when).
  const historyVersion = useStore((state) => state.historyVersion);
  const history = useStore((state) => state.processHistory);
  const changes = useStore((state) => state.changes);
  const entry = history.get(key);
  const programId = programOf(process);
  const profileEntry = useStore((state) => state.programProfiles[programId]);
  const forecast = useStore((state) => state.lastReport?.forecasts.programs.find((p) => p.programId === programId));
  useEffect(() => {
    void useStore.getState().loadProgramProfile(programId);
  }, [programId]);
  const cpu = useMemo(() => (entry ? entry.cpuPercent.slice() : []), [entry, historyVersion]);
  const rss = useMemo(() => (entry ? entry.rssBytes.slice() : []), [entry, historyVersion]);
  const at = useMemo(() => (entry ? entry.at.slice() : []), [entry, historyVersion]);
  const windowMs = at.length > 1 ? at[at.length - 1]! - at[0]! : 60_000;
  const inForce = changes.filter(
    (record) => record.target.pid === process.pid && record.target.startTime === process.startTime && IN_FORCE_STATUSES.has(record.status),
  );
  return (
    <aside className="details-pane" aria-label={`Details of ${process.name}`}>
      <header>
        <h2>
          {process.name} <span className="muted">PID {process.pid}</span>
        </h2>
        <button type="button" aria-label="Close details" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="details-charts">
        <div>
          <div className="chart-title">CPU {formatPercent(process.cpuPercent)}</div>
          <Chart title={`CPU of ${process.name}`} at={at} series={[{ label: 'CPU %', data: cpu, color: '#2f6fde', fill: true }]} windowMs={windowMs} dark={dark} height={110} yMin={0} ySuggestedMax={10} formatY={(v) => `${Math.round(v)}%`} showLegend={false} />
        </div>
        <div>
          <div className="chart-title">Memory {formatBytes(process.rssBytes)}</div>
          <Chart title={`Memory of ${process.name}`} at={at} series={[{ label: 'RSS', data: rss, color: '#2a9d63', fill: true }]} windowMs={windowMs} dark={dark} height={110} yMin={0} ySuggestedMax={process.rssBytes * 1.25 + 1} formatY={(v) => formatBytes(v, 0)} showLegend={false} />
        </div>
      </div>
      <section aria-label="Changes in force">
        <h3>Changes in force</h3>
        {inForce.length === 0 ? (
          <p className="muted">None</p>
        ) : (
          <ul className="in-force">
            {inForce.map((record) => (
              <li key={record.id}>
                {OPERATION_LABELS[record.change.op]}: {describeValue(record.before)} → {describeValue(record.after ?? record.change)} ({record.actor}; {record.why})
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-label="Forecast">
        <h3>Forecast</h3>
        {forecast ? (
          <table className="data-table compact" aria-label={`Forecast of ${forecast.name}`}>
            <thead>
              <tr>
                <th>Ahead</th>
                <th className="num">CPU p50</th>
                <th className="num">CPU p90</th>
                <th className="num">Mem p50</th>
                <th className="num">Mem p90</th>
              </tr>
            </thead>
            <tbody>
              {forecast.cpu.map((cpu, i) => {
                const rss = forecast.rss.find((r) => r.horizonMs === cpu.horizonMs) ?? forecast.rss[i];
                return (
                  <tr key={cpu.horizonMs} title={`model ${cpu.model}${rss ? ` / ${rss.model}` : ''}`}>
                    <td>{formatHorizon(cpu.horizonMs)}</td>
                    <td className="num">{formatPercent(cpu.p50)}</td>
                    <td className="num">{formatPercent(cpu.p90)}</td>
                    <td className="num">{rss ? formatBytes(rss.p50) : '–'}</td>
                    <td className="num">{rss ? formatBytes(rss.p90) : '–'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : (
          <p className="muted">No forecast for this program in the engine's last report (it forecasts the busiest programs).</p>
        )}
      </section>
      <section aria-label="Profile">
        <h3>Profile</h3>
        {profileEntry?.profile ? (
          <ProfileSummary profile={profileEntry.profile} dense />
        ) : profileEntry?.error ? (
          <p className="muted">No profile: {profileEntry.error}</p>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </section>
      <section aria-label="Fields">
        <h3>Fields</h3>
        <dl className="fields">
          {ALL_COLUMNS.map((column) => {
            const text = column.format(process);
            const missing = text === '' ? columnUnavailable(column, process) : undefined;
            if (text === '' && !missing) return null;
            return (
              <div key={column.id} className="field-row">
                <dt title={column.description}>{column.label}</dt>
                <dd data-field={column.id}>
                  {missing ? (
                    <span className="na" title={missing.title}>
                      n/a
                    </span>
                  ) : (
                    text
                  )}
                </dd>
              </div>
            );
          })}
        </dl>
      </section>
    </aside>
  );
}
