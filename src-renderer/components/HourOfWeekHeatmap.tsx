// A 7 x 24 heat map of when a program runs (or starts). Values are Monday-based (index 0 = Monday
// 00:00 local, see mondayBasedHourOfWeek); each cell's shade is its share of the busiest hour.
export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

export interface HourOfWeekHeatmapProps {
  title: string;
  /** 168 values, Monday-based. */
  values: readonly number[];
  /** How one cell's value reads in its tooltip. */
  formatValue(value: number): string;
}

/** Shade level 0..5 of a value against the maximum. */
export function heatmapLevel(value: number, max: number): number {
  if (!(value > 0) || !(max > 0)) return 0;
  return Math.max(1, Math.min(5, Math.ceil((value / max) * 5)));
}

export function HourOfWeekHeatmap({ title, values, formatValue }: HourOfWeekHeatmapProps) {
  const max = Math.max(0, ...values);
  return (
    <table className="heatmap" aria-label={title}>
      <thead>
        <tr>
          <th scope="col" />
          {Array.from({ length: 24 }, (_, hour) => (
            <th scope="col" key={hour}>
              {hour % 3 === 0 ? hour : ''}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {WEEKDAYS.map((day, d) => (
          <tr key={day}>
            <th scope="row">{day}</th>
            {Array.from({ length: 24 }, (_, hour) => {
              const value = values[d * 24 + hour] ?? 0;
              const label = `${day} ${String(hour).padStart(2, '0')}:00: ${formatValue(value)}`;
              return <td key={hour} className={`hm${heatmapLevel(value, max)}`} title={label} aria-label={label} data-cell={d * 24 + hour} />;
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
