// A program's behavioural profile as the engine learned it: how much CPU and memory it uses
// (quantiles), how long it lives, how it behaves, when it is likely to start and what starts with it.
import type { ProgramProfileView } from '../../src-shared/contract';
import { formatDurationMs } from '../../src-shared/format';
import { formatNumber, formatProbability } from './engine-format';

function quantile(key: string, value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : formatNumber(key, value);
}

const METRIC_LABELS: Record<string, string> = {
  cpuPercent: 'CPU (% of one core)',
  rssBytes: 'Memory (RSS)',
  ioBytesPerSec: 'Disk I/O',
  syscallsPerSec: 'System calls /s',
  ctxSwitchesPerSec: 'Context switches /s',
};

/** `dense`: the narrow details pane (no mean and p99 columns). */
export function ProfileSummary({ profile, dense = false }: { profile: ProgramProfileView; dense?: boolean }) {
  const metrics = Object.entries(profile.metrics).sort(([a], [b]) => (METRIC_LABELS[a] ? 0 : 1) - (METRIC_LABELS[b] ? 0 : 1) || a.localeCompare(b));
  const classes = Object.entries(profile.classCounts).sort((a, b) => b[1] - a[1]);
  const totalClass = classes.reduce((sum, [, n]) => sum + n, 0);
  return (
    <div className="profile-summary" data-program={profile.programId}>
      <p className="muted">
        {profile.samples.toLocaleString()} samples · {profile.launches.toLocaleString()} launches · seen{' '}
        {new Date(profile.firstSeenAt).toLocaleDateString()} – {new Date(profile.lastSeenAt).toLocaleString()}
      </p>
      <table className="data-table compact" aria-label={`Profile of ${profile.name}`}>
        <thead>
          <tr>
            <th>Metric</th>
            {!dense && <th className="num">mean</th>}
            <th className="num">p50</th>
            <th className="num">p90</th>
            {!dense && <th className="num">p99</th>}
            <th className="num">max</th>
          </tr>
        </thead>
        <tbody>
          {metrics.map(([key, q]) => (
            <tr key={key}>
              <td>{METRIC_LABELS[key] ?? key}</td>
              {!dense && <td className="num">{quantile(key, q.mean)}</td>}
              <td className="num">{quantile(key, q.p50)}</td>
              <td className="num">{quantile(key, q.p90)}</td>
              {!dense && <td className="num">{quantile(key, q.p99)}</td>}
              <td className="num">{quantile(key, q.max)}</td>
            </tr>
          ))}
          <tr>
            <td>Lifetime</td>
            {!dense && <td className="num">{profile.lifetimeMs.count > 0 ? formatDurationMs(profile.lifetimeMs.mean) : '–'}</td>}
            <td className="num">{profile.lifetimeMs.p50 !== null ? formatDurationMs(profile.lifetimeMs.p50) : '–'}</td>
            <td className="num">{profile.lifetimeMs.p90 !== null ? formatDurationMs(profile.lifetimeMs.p90) : '–'}</td>
            {!dense && <td className="num">{profile.lifetimeMs.p99 !== null ? formatDurationMs(profile.lifetimeMs.p99) : '–'}</td>}
            <td className="num">{profile.lifetimeMs.max !== null ? formatDurationMs(profile.lifetimeMs.max) : '–'}</td>
          </tr>
        </tbody>
      </table>
      <dl className="fields">
        <div className="field-row">
          <dt>Behaviour</dt>
          <dd>
            {classes.length === 0
              ? '–'
              : classes.map(([name, n]) => `${name} ${Math.round((n / Math.max(1, totalClass)) * 100)}%`).join(', ')}
          </dd>
        </div>
        <div className="field-row">
          <dt>Starts within</dt>
          <dd data-testid="launch-probabilities">
            5 min {formatProbability(profile.launch.within5MinP)} · 1 h {formatProbability(profile.launch.within1HourP)} · 1 day{' '}
            {formatProbability(profile.launch.within1DayP)}
          </dd>
        </div>
        <div className="field-row">
          <dt>Starts with</dt>
          <dd>{profile.coStarts.length === 0 ? '–' : profile.coStarts.slice(0, 6).map((c) => `${c.programId.split(/[\\/]/).pop()} (${c.count})`).join(', ')}</dd>
        </div>
      </dl>
    </div>
  );
}

