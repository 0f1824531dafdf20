// Changes view: changes in force (or all of them), live from the `changes` event, each with undo;
// "Restore all"; and the audit log of every attempt below, newest first, with paging.
import { useEffect } from 'react';
import { useStore } from '../store';
import { actBlockedReason } from '../store/connection';
import { IN_FORCE_STATUSES } from '../store/changes';
import { describeValue, OPERATION_LABELS } from '../components/change-format';

const time = new Intl.DateTimeFormat([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function ChangesView() {
  const changes = useStore((state) => state.changes);
  const all = useStore((state) => state.changesAll);
  const audit = useStore((state) => state.audit);
  const auditNext = useStore((state) => state.auditNextBeforeId);
  const auditLoaded = useStore((state) => state.auditLoaded);
  const actions = useStore.getState();
  const blocked = useStore(actBlockedReason);
  useEffect(() => {
    void useStore.getState().loadChanges();
    void useStore.getState().loadAudit(false);
  }, []);
  const inForce = changes.filter((c) => IN_FORCE_STATUSES.has(c.status)).length;
  return (
    <section className="view changes-view" aria-label="Changes">
      <header className="summary">
        <div className="metric">
          <span className="label">In force</span>
          <span className="value" data-testid="changes-in-force">{inForce}</span>
        </div>
        <div className="toolbar">
          <label className="inline">
            <input type="checkbox" checked={all} onChange={(e) => actions.setChangesAll(e.target.checked)} /> Show all (history)
          </label>
          <button type="button" onClick={() => void actions.loadAudit(false)}>
            Refresh
          </button>
          <button type="button" className="danger" disabled={inForce === 0 || !!blocked} title={blocked} data-blocked={blocked ? '' : undefined} onClick={() => void actions.restoreAll()}>
            Restore all
          </button>
        </div>
      </header>
      <div className="scroll-area">
        <table className="data-table" aria-label="Changes">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Process</th>
              <th scope="col">What</th>
              <th scope="col">Before → after</th>
              <th scope="col">Why</th>
              <th scope="col">Status</th>
              <th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {changes.length === 0 && (
              <tr>
                <td colSpan={8} className="empty">
                  {all ? 'No changes recorded yet.' : 'Nothing changed by Allot is in force.'}
                </td>
              </tr>
            )}
            {changes.map((record) => (
              <tr key={record.id} data-change-id={record.id}>
                <td>{time.format(record.createdAtMs)}</td>
                <td>{record.actor}</td>
                <td>
                  {record.name} <span className="muted">{record.target.pid}</span>
                </td>
                <td>{OPERATION_LABELS[record.change.op]}</td>
                <td>
                  {describeValue(record.before)} → {describeValue(record.after ?? record.change)}
                </td>
                <td className="why">{record.why}{record.note ? <span className="muted"> ({record.note})</span> : null}</td>
                <td>
                  <span className={`status status-${record.status}`}>{record.status}</span>
                </td>
                <td>
                  <button
                    type="button"
                    aria-label={`Undo change ${record.id} (${OPERATION_LABELS[record.change.op]} on ${record.name})`}
                    disabled={!IN_FORCE_STATUSES.has(record.status) || !!blocked}
                    title={blocked}
                    data-blocked={blocked ? '' : undefined}
                    onClick={() => void actions.undoChange(record.id)}
                  >
                    Undo
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2 className="section-title">Audit log</h2>
        <table className="data-table" aria-label="Audit log">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Process</th>
              <th scope="col">Before → after</th>
              <th scope="col">Result</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {auditLoaded && audit.length === 0 && (
              <tr>
                <td colSpan={7} className="empty">The audit log is empty.</td>
              </tr>
            )}
            {audit.map((entry) => (
              <tr key={entry.id} data-audit-id={entry.id}>
                <td>{time.format(entry.at)}</td>
                <td>{entry.actor}</td>
                <td>
                  {entry.action}
                  {entry.op ? ` ${OPERATION_LABELS[entry.op].toLowerCase()}` : ''}
                </td>
                <td>
                  {entry.name ?? (entry.op === null && !entry.target ? <span className="muted">Allot</span> : '–')}{' '}
                  {entry.target && <span className="muted">{entry.target.pid}</span>}
                </td>
                <td className="audit-values">
                  {entry.before || entry.after
                    ? `${describeValue(entry.before)} → ${describeValue(entry.after)}`
                    : entry.beforeValue || entry.afterValue
                      ? `${entry.beforeValue ?? '–'} → ${entry.afterValue ?? '–'}`
                      : '–'}
                </td>
                <td>
                  <span className={`status result-${entry.result}`}>{entry.result}</span>
                  {entry.reason ? ` (${entry.reason})` : ''}
                  {entry.message ? <div className="muted">{entry.message}</div> : null}
                </td>
                <td className="why">{entry.why}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {auditNext !== null && (
          <button type="button" className="load-more" onClick={() => void actions.loadAudit(true)}>
            Load older entries
          </button>
        )}
      </div>
    </section>
  );
}
