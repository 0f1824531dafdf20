// Column chooser: a checkbox per ProcessSample field, grouped; the choice persists (processes slice).
import { useEffect, useRef, useState } from 'react';
import { ALL_COLUMNS, DEFAULT_COLUMN_IDS, type ColumnGroup } from '../model/process-columns';

export interface ColumnChooserProps {
  columns: readonly string[];
  onChange(ids: string[]): void;
}

const GROUPS: ColumnGroup[] = ['General', 'CPU', 'Memory', 'I/O', 'Scheduling', 'Identity'];

export function ColumnChooser({ columns, onChange }: ColumnChooserProps) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (event: MouseEvent): void => {
      if (ref.current && !ref.current.contains(event.target as Node)) setOpen(false);
    };
    window.addEventListener('mousedown', onDown);
    return () => window.removeEventListener('mousedown', onDown);
  }, [open]);
  const chosen = new Set(columns);
  return (
    <div className="column-chooser" ref={ref} onKeyDown={(event) => event.key === 'Escape' && setOpen(false)}>
      <button type="button" aria-haspopup="true" aria-expanded={open} onClick={() => setOpen(!open)}>
        Columns
      </button>
      {open && (
        <div className="chooser-panel" role="group" aria-label="Choose columns">
          {GROUPS.map((group) => (
            <fieldset key={group}>
              <legend>{group}</legend>
              {ALL_COLUMNS.filter((column) => column.group === group).map((column) => (
                <label key={column.id} title={column.description}>
                  <input
                    type="checkbox"
                    checked={chosen.has(column.id)}
                    disabled={column.id === 'name'}
                    onChange={(event) =>
                      onChange(event.target.checked ? [...columns, column.id] : columns.filter((id) => id !== column.id))
                    }
                  />
                  {column.label}
                </label>
              ))}
            </fieldset>
          ))}
          <button type="button" onClick={() => onChange([...DEFAULT_COLUMN_IDS])}>
            Reset to defaults
          </button>
        </div>
      )}
    </div>
  );
}
