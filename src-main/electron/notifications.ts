// Native notifications for what a person should know now: alerts (leak, runaway, fork storm, ...)
// and actions the OS refused. Rate-limited so a noisy program cannot flood the desktop: one per
// subject per `perSubjectMs`, at most `maxPerWindow` in any `windowMs`.
import { Notification } from 'electron';
import type { TickReport } from '../../src-shared/report';

export interface Notice {
  /** What the rate limit groups by, e.g. "memory-leak:/usr/bin/node". */
  subject: string;
  title: string;
  body: string;
}

export interface RateLimitOptions {
  perSubjectMs: number;
  windowMs: number;
  maxPerWindow: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSubjectMs: 15 * 60_000, windowMs: 10 * 60_000, maxPerWindow: 5 };

export function createRateLimiter(options: RateLimitOptions = DEFAULT_RATE_LIMIT): (subject: string, nowMs: number) => boolean {
  const lastBySubject = new Map<string, number>();
  const sent: number[] = [];
  return (subject, nowMs) => {
    const last = lastBySubject.get(subject);
    if (last !== undefined && nowMs - last < options.perSubjectMs) return false;
    while (sent.length && nowMs - sent[0]! >= options.windowMs) sent.shift();
    if (sent.length >= options.maxPerWindow) return false;
    sent.push(nowMs);
    lastBySubject.set(subject, nowMs);
    if (lastBySubject.size > 10_000) lastBySubject.delete(lastBySubject.keys().next().value!);
    return true;
  };
}

/** The notices one engine report calls for: warning/critical alerts and refused actions. */
export function noticesFromReport(report: TickReport): Notice[] {
  const notices: Notice[] = [];
  for (const alert of report.alerts) {
    if (alert.severity === 'info') continue;
    const who = alert.target ? `${alert.target.name} (${alert.target.pid})` : alert.tenant ? `tenant ${alert.tenant}` : 'the system';
    notices.push({
      subject: `${alert.kind}:${alert.target?.programId ?? alert.tenant ?? 'system'}`,
      title: `Allot: ${alert.kind.replace(/-/g, ' ')} in ${who}`,
      body: alert.message,
    });
  }
  for (const entry of report.decisions) {
    for (const change of entry.changes ?? []) {
      // A process that went away or one someone else manages is not news; a refusal is.
      if (change.kind !== 'refused' || change.reason === 'gone' || change.reason === 'external' || change.reason === 'protected') continue;
      notices.push({
        subject: `refused:${entry.decision.target.programId}:${change.op}`,
        title: `Allot could not change ${entry.decision.target.name}`,
        body: change.message ?? `${change.op} was refused (${change.reason})`,
      });
    }
  }
  return notices;
}

export interface Notifier {
  onReport(report: TickReport, enabled: boolean): number;
}

export function createNotifier(options: RateLimitOptions = DEFAULT_RATE_LIMIT, show: (notice: Notice) => void = showNative): Notifier {
  const allow = createRateLimiter(options);
  return {
    onReport(report, enabled) {
      if (!enabled) return 0;
      let shown = 0;
      for (const notice of noticesFromReport(report)) {
        if (!allow(notice.subject, report.at)) continue;
        show(notice);
        shown++;
      }
      return shown;
    },
  };
}

function showNative(notice: Notice): void {
  if (!Notification.isSupported()) return;
  new Notification({ title: notice.title, body: notice.body, silent: false }).show();
}
