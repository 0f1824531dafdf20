// Virtualized process table: only the rows in view are in the DOM, so 1,000+ processes update
// every second without layout cost proportional to the list.
import { useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { ProcessSample } from '../../src-shared/domain';
import { PROCESS_COLUMNS } from './process-columns';

export const ROW_HEIGHT_PX = 26;

export interface ProcessTableProps {
  rows: readonly ProcessSample[];
  sort: { column: string; direction: 'asc' | 'desc' };
  onSort(column: string): void;
}

const gridTemplate = PROCESS_COLUMNS.map((column) => column.width).join(' ');

export function ProcessTable({ rows, sort, onSort }: ProcessTableProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT_PX,
    overscan: 8,
    getItemKey: (index) => {
      const row = rows[index];
      return row ? `${row.pid}:${row.startTime}` : index;
    },
  });
  return (
    <div className="process-table" role="table" aria-label="Processes" aria-rowcount={rows.length + 1}>
      <div className="process-row header" role="row" style={{ gridTemplateColumns: gridTemplate }}>
        {PROCESS_COLUMNS.map((column) => {
          const active = sort.column === column.id;
          return (
            <div
              key={column.id}
              role="columnheader"
              aria-sort={active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}
              className={`cell ${column.align}`}
            >
              <button type="button" data-column={column.id} onClick={() => onSort(column.id)} title={`Sort by ${column.label}`}>
                {column.label}
                <span className="sort-mark" aria-hidden="true">
                  {active ? (sort.direction === 'asc' ? '▲' : '▼') : ''}
                </span>
              </button>
            </div>
          );
        })}
      </div>
      <div className="process-scroll" ref={scrollRef}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const process = rows[item.index]!;
            return (
              <div
                key={item.key}
                role="row"
                aria-rowindex={item.index + 2}
                data-pid={process.pid}
                className={`process-row${item.index % 2 ? ' odd' : ''}`}
                style={{ gridTemplateColumns: gridTemplate, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT_PX }}
              >
                {PROCESS_COLUMNS.map((column) => (
                  <div key={column.id} role="cell" className={`cell ${column.align}`} data-column={column.id}>
                    {column.format(process)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
