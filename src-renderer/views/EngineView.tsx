// Engine view: mode (Off / Advise / Auto), profile, pause for an hour, foreground detection; alerts
// with their evidence; pending advice with Apply; the log of decisions with reason, numbers, result,
// measured effect and Undo (what the core kept, read on open and page by page with "Load older",
// merged with what arrives live); the forecast summary and every model's rolling accuracy. A page
// that may not act (a viewer) sees every control disabled, with the reason.
import { memo, useEffect, useMemo, useState } from 'react';
import type { Alert, Mode } from '../../src-shared/engine';
import type { SeriesErrors, TickReport } from '../../src-shared/report';
import { formatBytes, formatPercent } from '../../src-shared/format';
import { useStore } from '../store';
import { actBlockedReason } from '../store/connection';
import { engineSummary, pendingAdvice, undoableChangeIds, type EngineLogEntry, type EngineNote } from '../store/engine';
import { EngineFirstRun } from '../components/EngineFirstRun';
import { describeEngineChange, describeNumbers, formatHorizon } from '../components/engine-format';

const MODES: { id: Mode; label: string; hint: string }[] = [
  { id: 'off', label: 'Off', hint: 'The engine watches and forecasts but decides nothing' },
  { id: 'advise', label: 'Advise', hint: 'Decisions are shown as advice; nothing is applied unless you click Apply' },
  { id: 'auto', label: 'Auto', hint: 'Decisions are applied, measured and undone when they do not help' },
];

const REVERSIBILITY: Record<string, string> = { reversible: 'reversible', 'needs-helper': 'needs administrator rights to undo', unavailable: 'unavailable' };

/** What the engine may do with the rights Allot has now (issue: never a change it cannot undo). */
function EngineScope() {
  const capabilities = useStore((s) => s.capabilities);
  if (!capabilities) return null;
  const levers = Object.entries(capabilities.operations).filter(([, c]) => c?.reversibility !== undefined);
  return (
    <details className="engine-scope" data-testid="engine-scope">
      <summary>{capabilities.engineScope ?? (capabilities.privileged ? 'Allot runs with administrator rights: every lever can be put back.' : 'Allot runs as an ordinary user.')}</summary>
      <ul>
        {levers.map(([op, c]) => (
          <li key={op} data-lever={op}>
            <strong>{op}</strong>: {REVERSIBILITY[c!.reversibility!] ?? c!.reversibility}
            {c!.reversibilityDetail ? <span className="muted"> ({c!.reversibilityDetail})</span> : null}
            {c!.withService ? <div className="muted">With the system service: {c!.withService}</div> : null}
          </li>
        ))}
      </ul>
    </details>
  );
}

const time = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const formatTime = (ms: number): string => time.format(ms);

function Evidence({ numbers }: { numbers: Record<string, number> }) {
  const text = describeNumbers(numbers);
  return text ? <div className="numbers">{text}</div> : null;
}

function resultText(entry: EngineLogEntry): { text: string; className: string } {
  const result = entry.result;
  if (!result) return entry.decision.apply ? { text: 'pending', className: '' } : { text: 'advice', className: 'status-external' };
  const refused = (entry.changes ?? []).filter((c) => c.kind === 'refused');
  const detail = refused.length > 0 ? refused.map((c) => `${c.op}: ${c.reason ?? 'refused'}${c.message ? ` (${c.message})` : ''}`).join('; ') : result.message;
  return {
    text: `${result.status}${detail ? `: ${detail}` : ''}`,
    className: result.status === 'applied' ? 'status-applied' : result.status === 'skipped' ? '' : 'status-failed',
  };
}

const LogRow = memo(function LogRow({ entry, onUndo, blocked }: { entry: EngineLogEntry; onUndo(entry: EngineLogEntry): void; blocked: string | undefined }) {
  const { decision, effect } = entry;
  const result = resultText(entry);
  const undoable = undoableChangeIds(entry).length > 0 && !effect?.reverted;
  return (
    <tr data-decision={decision.id} data-source={decision.source}>
      <td className="nowrap">{formatTime(decision.at)}</td>
      <td>
        <strong>{decision.target.name}</strong> <span className="muted">PID {decision.target.pid}</span>
      </td>
      <td className="nowrap">
        {describeEngineChange(decision.change)}
        {decision.revertOf ? <div className="muted">reverts an earlier decision</div> : null}
      </td>
      <td className="why">
        {decision.reason}
        <Evidence numbers={decision.numbers} />
        <div className="muted">{decision.source} · expected: {decision.expectedEffect}</div>
      </td>
      <td>
        <span className={`status ${result.className}`}>{result.text}</span>
      </td>
      <td>
        {effect ? (
          <>
            <span className={`status verdict-${effect.verdict}`}>{effect.verdict}{effect.reverted ? ', reverted' : ''}</span>
            <Evidence numbers={effect.numbers} />
          </>
        ) : (
          <span className="muted">{entry.result?.status === 'applied' ? 'measuring…' : '–'}</span>
        )}
      </td>
      <td>
        {undoable && (
          <button type="button" disabled={!!blocked} title={blocked} onClick={() => onUndo(entry)} aria-label={`Undo decision on ${decision.target.name} (${describeEngineChange(decision.change)})`}>
            Undo
          </button>
        )}
      </td>
    </tr>
  );
});

function AlertItem({ alert }: { alert: Alert }) {
  return (
    <li className={`alert alert-${alert.severity}`} data-kind={alert.kind}>
      <div>
        <strong>{alert.kind.replace(/-/g, ' ')}</strong> · {alert.target ? `${alert.target.name} (PID ${alert.target.pid})` : alert.tenant ? `tenant ${alert.tenant}` : 'system'}{' '}
        <span className="muted">{formatTime(alert.at)}</span>
      </div>
      <div>{alert.message}</div>
      <Evidence numbers={alert.evidence} />
    </li>
  );
}

function AdviceTable({ advice, mode, blocked }: { advice: EngineLogEntry[]; mode: Mode | undefined; blocked: string | undefined }) {
  const outcomes = useStore((state) => state.adviceOutcomes);
  const applyAdvice = useStore((state) => state.applyAdvice);
  const [busy, setBusy] = useState<string | undefined>();
  if (advice.length === 0) {
    return <p className="muted">{mode === 'advise' ? 'No advice right now: nothing needs restraining.' : 'Advice appears here in Advise mode.'}</p>;
  }
  return (
    <table className="data-table" aria-label="Pending advice">
      <thead>
        <tr>
          <th>Process</th>
          <th>Change</th>
          <th>Why</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {advice.map(({ decision }) => {
          const outcome = outcomes[decision.id];
          return (
            <tr key={decision.id} data-advice={decision.id}>
              <td>
                <strong>{decision.target.name}</strong> <span className="muted">PID {decision.target.pid}</span>
              </td>
              <td className="nowrap">{describeEngineChange(decision.change)}</td>
              <td className="why">
                {decision.reason}
                <Evidence numbers={decision.numbers} />
              </td>
              <td>
                <button
                  type="button"
                  className="primary"
                  disabled={busy === decision.id || !!blocked}
                  title={blocked}
                  aria-label={`Apply advice for ${decision.target.name}`}
                  onClick={() => {
                    setBusy(decision.id);
                    void applyAdvice(decision.id).finally(() => setBusy(undefined));
                  }}
                >
                  Apply
                </button>
                {outcome && <div className={outcome.ok ? 'ok-text' : 'field-error'}>{outcome.message}</div>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Rows of the accuracy table: system series first, then at most `programLimit` program series. */
export function accuracyRows(errors: readonly SeriesErrors[], programLimit = 12): SeriesErrors[] {
  const system = errors.filter((e) => e.series.startsWith('system.'));
  const programs = errors.filter((e) => !e.series.startsWith('system.'));
  const programNames = [...new Set(programs.map((e) => e.series))].slice(0, programLimit);
  const keep = new Set(programNames);
  return [...system, ...programs.filter((e) => keep.has(e.series))].sort(
    (a, b) => Number(b.series.startsWith('system.')) - Number(a.series.startsWith('system.')) || a.series.localeCompare(b.series) || a.horizonMs - b.horizonMs,
  );
}

function AccuracyTable({ errors }: { errors: readonly SeriesErrors[] }) {
  const rows = useMemo(() => accuracyRows(errors), [errors]);
  if (rows.length === 0) return <p className="muted">No forecast errors yet: each model needs a few horizons of data before it is scored.</p>;
  return (
    <table className="data-table accuracy" aria-label="Forecast accuracy">
      <thead>
        <tr>
          <th>Series</th>
          <th>Horizon</th>
          <th>Model</th>
          <th className="num" title="Mean absolute error">MAE</th>
          <th className="num" title="MAE divided by the naive forecast's MAE; below 1 beats naive">MASE</th>
          <th className="num" title="Share of actual values at or under the p90 forecast; 90% is calibrated">p90 coverage</th>
          <th className="num">n</th>
        </tr>
      </thead>
      <tbody>
        {rows.flatMap((series) => {
          const models = series.models.length > 0 ? series.models : [series.output];
          const unit = series.series.includes('memory') || series.series.includes('rss') ? 'bytes' : 'percent';
          return models.map((model, i) => (
            <tr key={`${series.series}|${series.horizonMs}|${model.model}`} className={model.model === series.selected ? 'selected-model' : undefined}>
              {i === 0 ? (
                <>
                  <td rowSpan={models.length}>{series.series}</td>
                  <td rowSpan={models.length}>{formatHorizon(series.horizonMs)}</td>
                </>
              ) : null}
              <td>
                {model.model}
                {model.model === series.selected ? ' ✓ selected' : ''}
              </td>
              <td className="num">{unit === 'bytes' ? formatBytes(model.mae) : model.mae.toFixed(2)}</td>
              <td className="num">{model.mase === null ? '–' : model.mase.toFixed(2)}</td>
              <td className="num">{Math.round(model.p90Coverage * 100)}%</td>
              <td className="num">{model.n}</td>
            </tr>
          ));
        })}
      </tbody>
    </table>
  );
}

function ForecastSummary({ report }: { report: TickReport }) {
  const { systemCpu, systemMemory } = report.forecasts;
  if (systemCpu.length === 0 && systemMemory.length === 0) return <p className="muted">No system forecast yet.</p>;
  return (
    <table className="data-table compact" aria-label="System forecast">
      <thead>
        <tr>
          <th>Ahead</th>
          <th className="num">CPU p50</th>
          <th className="num">CPU p90</th>
          <th className="num">Memory p50</th>
          <th className="num">Memory p90</th>
          <th>Models</th>
        </tr>
      </thead>
      <tbody>
        {systemCpu.map((cpu, i) => {
          const memory = systemMemory.find((m) => m.horizonMs === cpu.horizonMs) ?? systemMemory[i];
          return (
            <tr key={cpu.horizonMs}>
              <td>{formatHorizon(cpu.horizonMs)}</td>
              <td className="num">{formatPercent(cpu.p50)}</td>
              <td className="num">{formatPercent(cpu.p90)}</td>
              <td className="num">{memory ? formatBytes(memory.p50) : '–'}</td>
              <td className="num">{memory ? formatBytes(memory.p90) : '–'}</td>
              <td className="muted">
                {cpu.model}
                {memory ? ` / ${memory.model}` : ''}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function describeNote(note: EngineNote): string {
  switch (note.type) {
    case 'trigger':
      return `trigger ${note.triggerId} ${note.state}${note.value !== undefined ? ` at ${note.value.toFixed(1)}` : ''}`;
    case 'profile-changed':
      return `profile → ${note.profileId} (${note.cause})`;
    case 'mode-changed':
      return `mode → ${note.mode}`;
    case 'backoff':
      return `backed off from ${note.target.name} (PID ${note.target.pid}): ${note.message}`;
    case 'action-failed':
      return `action failed: ${note.message}`;
    case 'degraded':
      return `degraded: ${note.what}: ${note.reason}`;
  }
}

export function EngineView() {
  const engineState = useStore((state) => state.engineState);
  const engineError = useStore((state) => state.engineError);
  const engineBusy = useStore((state) => state.engineBusy);
  const report = useStore((state) => state.lastReport);
  const log = useStore((state) => state.engineLog);
  const applied = useStore((state) => state.appliedAdvice);
  const logNext = useStore((state) => state.engineLogNext);
  const logLoading = useStore((state) => state.engineLogLoading);
  const logError = useStore((state) => state.engineLogError);
  const role = useStore((state) => state.role);
  const blocked = useStore(actBlockedReason);
  const actions = useStore.getState();
  const advice = useMemo(() => pendingAdvice(log, report?.at, applied), [log, report?.at, applied]);
  const entries = useMemo(() => log.entries.slice().reverse(), [log.entries]);
  const undo = useMemo(() => (entry: EngineLogEntry) => void useStore.getState().undoDecision(entry), []);
  // While shown: read the state now and every 10 s (restrained count, prefetch, foreground change without an event).
  useEffect(() => {
    void useStore.getState().loadEngine();
    // What the engine did before this page was open: the activity the core kept.
    void useStore.getState().loadEngineLog();
    const timer = setInterval(() => void useStore.getState().loadEngine(), 10_000);
    return () => clearInterval(timer);
  }, []);

  const summary = useMemo(() => engineSummary(log, report?.at ?? Date.now()), [log, report?.at]);
  const paused = engineState?.pausedUntilMs !== null && engineState?.pausedUntilMs !== undefined && engineState.pausedUntilMs > Date.now();
  const foreground = engineState?.foreground;
  return (
    <section className="view engine-view" aria-label="Engine">
      {role !== 'viewer' && <EngineFirstRun mode={engineState?.mode} onChoose={(m) => void actions.setEngineMode(m)} />}
      {blocked && (
        <p className="reason" role="note" data-testid="act-blocked">
          The mode, profile and pause cannot be changed here: {blocked}
        </p>
      )}
      <p className="engine-summary" data-testid="engine-summary">{summary}</p>
      <EngineScope />
      <header className="summary">
        <div className="metric">
          <span className="label">Mode</span>
          <div className="segmented" role="group" aria-label="Engine mode">
            {MODES.map((m) => (
              <button
                key={m.id}
                type="button"
                title={blocked ?? m.hint}
                aria-pressed={engineState?.mode === m.id}
                disabled={!engineState || engineBusy || !!blocked}
                onClick={() => void actions.setEngineMode(m.id)}
              >
                {m.label}
              </button>
            ))}
          </div>
        </div>
        <label className="metric">
          <span className="label">Profile</span>
          <select
            aria-label="Profile"
            value={engineState?.profileId ?? ''}
            title={blocked}
            disabled={!engineState || engineBusy || !!blocked}
            onChange={(event) => void actions.setEngineProfile(event.target.value)}
          >
            {(engineState?.profiles ?? []).map((profile) => (
              <option key={profile.id} value={profile.id} title={profile.description}>
                {profile.name}
              </option>
            ))}
          </select>
        </label>
        <div className="metric">
          <span className="label">In effect</span>
          <span className="value small" data-testid="effective-mode">
            {engineState ? engineState.effectiveMode : '–'}
            {paused ? ` (paused until ${new Date(engineState!.pausedUntilMs!).toLocaleTimeString()})` : ''}
          </span>
        </div>
        <div className="metric">
          <span className="label">Restrained</span>
          <span className="value small">{engineState?.restrained ?? '–'}</span>
        </div>
        <div className="metric" data-testid="foreground">
          <span className="label">Foreground</span>
          <span className="value small" title={foreground?.unavailableReason}>
            {foreground?.pid !== undefined ? `PID ${foreground.pid}` : foreground?.unavailableReason ? `not detected: ${foreground.unavailableReason}` : '–'}
          </span>
        </div>
        <div className="toolbar">
          {paused ? (
            <button type="button" disabled={engineBusy || !!blocked} title={blocked} onClick={() => void actions.pauseEngine(0)}>
              Resume
            </button>
          ) : (
            <button type="button" disabled={!engineState || engineBusy || !!blocked} title={blocked} onClick={() => void actions.pauseEngine(60)}>
              Pause for 1 hour
            </button>
          )}
        </div>
      </header>
      <div className="scroll-area">
        {engineError && (
          <p className="banner error" role="alert">
            {engineError}
          </p>
        )}
        <h2 className="section-title">Alerts</h2>
        {log.alerts.length === 0 ? (
          <p className="muted">No alerts: no runaway, leak, fork storm or out-of-profile behaviour seen.</p>
        ) : (
          <ul className="alerts" aria-label="Alerts">
            {log.alerts.slice(0, 50).map((alert) => (
              <AlertItem key={alert.id} alert={alert} />
            ))}
          </ul>
        )}
        <h2 className="section-title">Pending advice</h2>
        <AdviceTable advice={advice} mode={report?.mode ?? engineState?.effectiveMode} blocked={blocked} />
        <h2 className="section-title">Decisions and actions</h2>
        {entries.length === 0 ? (
          <p className="muted">{logLoading ? 'Reading earlier activity… ' : 'No actions yet. '}{report ? `Last tick ${formatTime(report.at)}: engine ${report.timing.engineMs.toFixed(1)} ms, forecasts ${report.timing.forecastMs.toFixed(1)} ms.` : 'Waiting for the engine.'}</p>
        ) : (
          <table className="data-table engine-log" aria-label="Decisions">
            <thead>
              <tr>
                <th>Time</th>
                <th>Process</th>
                <th>Change</th>
                <th>Why (and the numbers)</th>
                <th>Result</th>
                <th>Measured effect</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <LogRow key={entry.decision.id} entry={entry} onUndo={undo} blocked={blocked} />
              ))}
            </tbody>
          </table>
        )}
        {logError && <p className="reason" role="status" data-testid="engine-log-error">{logError}</p>}
        {logNext && (
          <div className="toolbar load-older">
            <button type="button" disabled={logLoading} onClick={() => void useStore.getState().loadOlderEngineLog()}>
              {logLoading ? 'Loading…' : 'Load older'}
            </button>
          </div>
        )}
        <h2 className="section-title">Forecast</h2>
        {report ? <ForecastSummary report={report} /> : <p className="muted">Waiting for the engine.</p>}
        <h2 className="section-title">Forecast accuracy per model</h2>
        <AccuracyTable errors={report?.modelErrors ?? []} />
        <h2 className="section-title">Prefetch</h2>
        {!engineState ? (
          <p className="muted">–</p>
        ) : !engineState.prefetch.supported ? (
          <p className="muted">Page-cache warming is not available here{engineState.prefetch.reason ? `: ${engineState.prefetch.reason}` : ''}.</p>
        ) : (
          <div data-testid="prefetch">
            <p className="muted">
              Warms the page cache for programs likely to start within 5 minutes; files known for {engineState.prefetch.programsKnown} programs.
            </p>
            {engineState.prefetch.recent.length > 0 && (
              <ul className="notes" aria-label="Recent prefetches">
                {engineState.prefetch.recent.slice(0, 10).map((p) => (
                  <li key={`${p.at}-${p.programId}`}>
                    <span className="muted">{formatTime(p.at)}</span> {p.name}: {Math.round(p.probability * 100)}% likely to start, {p.files} files ({formatBytes(p.bytes)})
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        {log.notes.length > 0 && (
          <>
            <h2 className="section-title">Engine events</h2>
            <ul className="notes" aria-label="Engine events">
              {log.notes
                .slice(-30)
                .reverse()
                .map((note, i) => (
                  <li key={`${note.at}-${i}`}>
                    <span className="muted">{formatTime(note.at)}</span> {describeNote(note)}
                  </li>
                ))}
            </ul>
          </>
        )}
        {report && report.external.length > 0 && (
          <p className="muted">
            {report.external.length} change(s) Allot made were changed by someone else since; Allot backed off.
          </p>
        )}
      </div>
    </section>
  );
}
