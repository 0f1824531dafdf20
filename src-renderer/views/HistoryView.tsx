// History view: which programs used the most over a range (history.top), one program's CPU and
// memory over that range (history.program), when it runs in the week (hour-of-week heat map) and its
// learned profile; export of system, program or process history as CSV or JSON Lines.
import { useEffect, useMemo, useState } from 'react';
import type { HistoryRow, HistorySeries, RequestInput } from '../../src-shared/contract';
import { formatBytes, formatDurationMs } from '../../src-shared/format';
import { useStore } from '../store';
import { HISTORY_RANGES, type HistoryRange, type TopBy } from '../store/history';
import { describeError } from '../store/errors';
import { Chart, PALETTE } from '../components/Chart';
import { HourOfWeekHeatmap } from '../components/HourOfWeekHeatmap';
import { ProfileSummary } from '../components/ProfileSummary';
import { downloadText } from '../components/download';

const RANGES: { id: HistoryRange; label: string }[] = [
  { id: '1h', label: '1 h' },
  { id: '1d', label: '1 day' },
  { id: '7d', label: '7 days' },
  { id: '30d', label: '30 days' },
];
const BY: { id: TopBy; label: string }[] = [
  { id: 'cpu', label: 'CPU time' },
  { id: 'rss', label: 'Peak memory' },
  { id: 'io', label: 'Disk I/O' },
  { id: 'running', label: 'Running time' },
];

/** A numeric column of history rows (null and missing become NaN gaps). */
export function rowSeries(rows: readonly HistoryRow[], key: string): number[] {
  return rows.map((row) => {
    const value = row[key];
    return typeof value === 'number' ? value : Number.NaN;
  });
}

/** The bucket start of each row, epoch ms. */
export function rowTimes(series: HistorySeries | undefined): number[] {
  return series ? rowSeries(series.rows, 'bucketMs') : [];
}

/** The last path segment of a program id ("/usr/bin/node" -> "node"). */
export function programName(programId: string): string {
  return programId.split(/[\\/]/).filter(Boolean).pop() ?? programId;
}

function ExportControls({ programId }: { programId: string | undefined }) {
  const range = useStore((state) => state.historyRange);
  const runExport = useStore((state) => state.runExport);
  const [format, setFormat] = useState<'csv' | 'jsonl'>('csv');
  const [busy, setBusy] = useState(false);
  const run = async (level: RequestInput<'export.run'>['level']): Promise<void> => {
    const toMs = Date.now();
    setBusy(true);
    try {
      const output = await runExport({
        fromMs: toMs - HISTORY_RANGES[range],
        toMs,
        format,
        level,
        ...(level !== 'system' && programId ? { programId } : {}),
      });
      if (output) downloadText(output.filename, output.mime, output.text);
    } catch (error) {
      // runExport reports its own failures; this is the download itself (a Blob, a link) failing.
      useStore.getState().pushToast('error', `Export failed: could not save the file: ${describeError(error)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="inline export-controls" role="group" aria-label="Export">
      <select aria-label="Export format" value={format} onChange={(event) => setFormat(event.target.value as 'csv' | 'jsonl')}>
        <option value="csv">CSV</option>
        <option value="jsonl">JSON Lines</option>
      </select>
      <button type="button" disabled={busy} onClick={() => void run('system')}>
        Export system
      </button>
      <button type="button" disabled={busy} onClick={() => void run('program')} title={programId ? `Only ${programId}` : 'Every program'}>
        Export {programId ? programName(programId) : 'programs'}
      </button>
      <button type="button" disabled={busy} onClick={() => void run('process')} title={programId ? `Processes of ${programId}` : 'Every process'}>
        Export processes
      </button>
    </div>
  );
}

function ProgramDetail({ dark }: { dark: boolean }) {
  const programId = useStore((state) => state.historyProgram);
  const series = useStore((state) => state.programHistory);
  const hours = useStore((state) => state.programHourOfWeek);
  const error = useStore((state) => state.programDetailError);
  const range = useStore((state) => state.historyRange);
  const profileEntry = useStore((state) => (programId ? state.programProfiles[programId] : undefined));
  const at = useMemo(() => rowTimes(series), [series]);
  const cpuMean = useMemo(() => rowSeries(series?.rows ?? [], 'cpuPercentMean'), [series]);
  const cpuMax = useMemo(() => rowSeries(series?.rows ?? [], 'cpuPercentMax'), [series]);
  const rssMean = useMemo(() => rowSeries(series?.rows ?? [], 'rssBytesMean'), [series]);
  const rssMax = useMemo(() => rowSeries(series?.rows ?? [], 'rssBytesMax'), [series]);
  if (!programId) return <p className="empty">Pick a program to see its usage over time, when it runs and its profile.</p>;
  const now = Date.now();
  const common = { at, now, windowMs: HISTORY_RANGES[range], dark, height: 170 };
  return (
    <div className="program-detail" aria-label={`History of ${programId}`}>
      <h2 className="section-title" title={programId}>
        {programName(programId)} <span className="muted">{programId}</span>
      </h2>
      {error && (
        <p className="banner error" role="alert">
          {error}
        </p>
      )}
      {series && series.rows.length === 0 && <p className="muted">No history for this program in this range.</p>}
      <div className="chart-pair">
        <section className="chart-card" aria-label="CPU over time">
          <header>
            <h3>CPU, % of one core</h3>
            <span className="chart-value">{series ? `${series.rows.length} buckets of ${formatDurationMs(series.tierMs)}` : 'loading…'}</span>
          </header>
          <Chart
            title={`CPU of ${programId} over time`}
            {...common}
            series={[
              { label: 'mean', data: cpuMean, color: PALETTE[0]!, fill: true },
              { label: 'max', data: cpuMax, color: PALETTE[1]! },
            ]}
            yMin={0}
            ySuggestedMax={10}
            formatY={(v) => `${Math.round(v)}%`}
          />
        </section>
        <section className="chart-card" aria-label="Memory over time">
          <header>
            <h3>Memory (RSS)</h3>
          </header>
          <Chart
            title={`Memory of ${programId} over time`}
            {...common}
            series={[
              { label: 'mean', data: rssMean, color: PALETTE[2]!, fill: true },
              { label: 'max', data: rssMax, color: PALETTE[3]! },
            ]}
            yMin={0}
            formatY={(v) => formatBytes(v, 0)}
          />
        </section>
      </div>
      <h3 className="section-title">When it runs (hour of week, local time)</h3>
      {hours ? (
        <HourOfWeekHeatmap title={`When ${programName(programId)} runs`} values={hours} formatValue={(v) => `running ${formatDurationMs(v * 1000)}`} />
      ) : (
        <p className="muted">loading…</p>
      )}
      <h3 className="section-title">Profile</h3>
      {profileEntry?.profile ? (
        <>
          <ProfileSummary profile={profileEntry.profile} />
          <h3 className="section-title">When it starts (from the profile)</h3>
          <HourOfWeekHeatmap title={`When ${programName(programId)} starts`} values={profileEntry.profile.startsHourOfWeek} formatValue={(v) => `${v} starts`} />
        </>
      ) : profileEntry?.error ? (
        <p className="muted">No profile: {profileEntry.error}</p>
      ) : (
        <p className="muted">loading…</p>
      )}
    </div>
  );
}

export function HistoryView({ dark }: { dark: boolean }) {
  const range = useStore((state) => state.historyRange);
  const by = useStore((state) => state.historyBy);
  const top = useStore((state) => state.historyTop);
  const error = useStore((state) => state.historyTopError);
  const loading = useStore((state) => state.historyLoading);
  const selected = useStore((state) => state.historyProgram);
  const actions = useStore.getState();
  useEffect(() => {
    void useStore.getState().loadHistoryTop();
  }, []);
  return (
    <section className="view history-view" aria-label="History">
      <header className="summary">
        <div className="segmented" role="group" aria-label="Range">
          {RANGES.map((r) => (
            <button key={r.id} type="button" aria-pressed={range === r.id} onClick={() => actions.setHistoryRange(r.id)}>
              {r.label}
            </button>
          ))}
        </div>
        <label className="inline">
          Top by
          <select aria-label="Top by" value={by} onChange={(event) => actions.setHistoryBy(event.target.value as TopBy)}>
            {BY.map((b) => (
              <option key={b.id} value={b.id}>
                {b.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" aria-label="Refresh" title="Refresh" onClick={() => void actions.loadHistoryTop()} disabled={loading}>
          ↻
        </button>
        <div className="toolbar">
          <ExportControls programId={selected} />
        </div>
      </header>
      <div className="history-main">
        <div className="history-list">
          {error && (
            <p className="banner error" role="alert">
              {error}
            </p>
          )}
          {top.length === 0 && !error ? (
            <p className="empty">{loading ? 'Loading…' : 'No program history in this range yet.'}</p>
          ) : (
            <table className="data-table compact top-programs" aria-label="Programs">
              <thead>
                <tr>
                  <th>Program</th>
                  <th className="num">CPU time</th>
                  <th className="num">Peak memory</th>
                  <th className="num">Disk I/O</th>
                  <th className="num">Running</th>
                </tr>
              </thead>
              <tbody>
                {top.map((program) => (
                  <tr
                    key={program.programId}
                    className={program.programId === selected ? 'selected' : undefined}
                    aria-selected={program.programId === selected}
                    data-program={program.programId}
                    tabIndex={0}
                    onClick={() => void actions.selectHistoryProgram(program.programId)}
                    onKeyDown={(event) => (event.key === 'Enter' || event.key === ' ') && void actions.selectHistoryProgram(program.programId)}
                  >
                    <td className="program-name" title={program.programId}>
                      {programName(program.programId)}
                    </td>
                    <td className="num">{formatDurationMs(program.cpuSeconds * 1000)}</td>
                    <td className="num">{program.rssMaxBytes === null ? '–' : formatBytes(program.rssMaxBytes)}</td>
                    <td className="num">{formatBytes(program.ioBytes)}</td>
                    <td className="num">{formatDurationMs(program.runningMs)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <div className="history-detail">
          <ProgramDetail dark={dark} />
        </div>
      </div>
    </section>
  );
}

