// Processes view: summary header, search box and the live, sortable process table.
import { useDeferredValue, useMemo } from 'react';
import { useStore } from '../store';
import { ProcessTable } from '../components/ProcessTable';
import { visibleProcesses } from '../components/process-columns';
import { formatBytes, formatPercent } from '../../src-shared/format';

export function ProcessesView() {
  const processes = useStore((state) => state.processes);
  const system = useStore((state) => state.system);
  const sort = useStore((state) => state.sort);
  const filter = useStore((state) => state.filter);
  const setSort = useStore((state) => state.setSort);
  const setFilter = useStore((state) => state.setFilter);
  const deferredFilter = useDeferredValue(filter);
  const rows = useMemo(() => visibleProcesses(processes, deferredFilter, sort), [processes, deferredFilter, sort]);
  const memory = system?.memory;
  return (
    <section className="view processes-view" aria-label="Processes">
      <header className="summary">
        <div className="metric" data-testid="total-cpu">
          <span className="label">CPU</span>
          <span className="value">{system ? formatPercent(system.cpuPercent) : '–'}</span>
        </div>
        <div className="metric" data-testid="total-memory">
          <span className="label">Memory</span>
          <span className="value">
            {memory ? `${formatBytes(memory.usedBytes)} / ${formatBytes(memory.totalBytes)}` : '–'}
          </span>
        </div>
        <div className="metric" data-testid="process-count">
          <span className="label">Processes</span>
          <span className="value">{processes.length}</span>
        </div>
        <input
          className="search"
          type="search"
          placeholder="Search name, PID, user, command line"
          aria-label="Search processes"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
        />
      </header>
      <ProcessTable rows={rows} sort={sort} onSort={setSort} />
      <footer className="status-line" aria-live="polite">
        {rows.length === processes.length ? `${processes.length} processes` : `${rows.length} of ${processes.length} processes`}
      </footer>
    </section>
  );
}
