// Actions on Allot itself go to the audit log like actions on processes: settings changed, rules
// saved, engine mode, pause and profile. One wrapper around the core's handlers records who asked
// (the call's actor: user, tray, cli, agent:NAME), the value before and after as a person reads it,
// and whether it was refused. Process actions are audited by the actuator; nothing here touches them.
import { createHash } from 'node:crypto';
import type { RequestChannel } from '../../src-shared/contract';
import type { Settings } from '../../src-shared/settings';
import type { AuditLog } from '../store/audit';
import type { CallContext } from './service';

type Handler = (input: never, context: CallContext) => unknown;

/** What each audited channel records: the action name and its value as text, read before and after. */
interface Audited {
  action: string;
  /** The value as text, or undefined when this core cannot read it (no such service). */
  read(): string | undefined;
  /** The row's why: what was asked. */
  why(input: unknown): string;
}

export interface ConfigAuditSources {
  audit: () => AuditLog | undefined;
  settings: () => Settings | undefined;
  engine: () => { mode: string; pausedUntilMs: number | null; profileId: string } | undefined;
  rulesText: () => string | undefined;
}

const MAX_VALUE_CHARS = 4096;

function clip(text: string): string {
  return text.length <= MAX_VALUE_CHARS ? text : `${text.slice(0, MAX_VALUE_CHARS - 1)}…`;
}

/** Rules are summarised (they can be long): how many lines and characters, and a short digest to tell versions apart. */
export function describeRulesText(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim()).length;
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return `${lines} line(s), ${text.length} characters, sha256 ${digest}`;
}

/** Only the top-level settings keys that differ, before and after, as JSON. */
export function settingsDiff(before: Settings, after: Settings): { before: string; after: string } | undefined {
  const keys = (Object.keys(after) as Array<keyof Settings>).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
  if (keys.length === 0) return undefined;
  const pick = (settings: Settings) => JSON.stringify(Object.fromEntries(keys.map((key) => [key, settings[key]])));
  return { before: clip(pick(before)), after: clip(pick(after)) };
}

function pausedText(untilMs: number | null | undefined): string {
  return untilMs ? `paused until ${new Date(untilMs).toISOString()}` : 'running';
}

/**
 * Wrap the handlers of the channels that change Allot's own configuration so each call leaves one
 * audit row. The wrapped handler behaves exactly as before (same result, same errors).
 */
export function auditConfigChanges<H extends Partial<Record<RequestChannel, Handler>>>(handlers: H, sources: ConfigAuditSources): H {
  const audited: Partial<Record<RequestChannel, Audited>> = {
    'settings.update': {
      action: 'settings',
      read: () => {
        const settings = sources.settings();
        return settings ? JSON.stringify(settings) : undefined;
      },
      why: (input) => `settings changed: ${Object.keys(input as object).join(', ') || 'nothing'}`,
    },
    'rules.set': {
      action: 'rules',
      read: () => {
        const text = sources.rulesText();
        return text === undefined ? undefined : describeRulesText(text);
      },
      why: () => 'rules saved',
    },
    'engine.setMode': { action: 'mode', read: () => sources.engine()?.mode, why: (input) => `engine mode set to ${(input as { mode: string }).mode}` },
    'engine.pause': {
      action: 'pause',
      read: () => {
        const engine = sources.engine();
        return engine ? pausedText(engine.pausedUntilMs) : undefined;
      },
      why: (input) => {
        const minutes = (input as { minutes: number }).minutes;
        return minutes === 0 ? 'engine resumed' : `engine paused for ${minutes} min`;
      },
    },
    'engine.setProfile': { action: 'profile', read: () => sources.engine()?.profileId, why: (input) => `profile set to ${(input as { profileId: string }).profileId}` },
  };
  const wrapped: Record<string, Handler> = { ...(handlers as Record<string, Handler>) };
  for (const [channel, spec] of Object.entries(audited) as Array<[RequestChannel, Audited]>) {
    const handler = handlers[channel] as Handler | undefined;
    if (!handler) continue;
    wrapped[channel] = (async (input: never, context: CallContext) => {
      const before = safeRead(spec);
      const record = (result: 'applied' | 'refused', message: string | null): void => {
        const audit = sources.audit();
        if (!audit) return;
        let beforeValue = before;
        let afterValue = result === 'applied' ? safeRead(spec) : before;
        if (spec.action === 'settings' && beforeValue !== undefined && afterValue !== undefined) {
          const diff = settingsDiff(JSON.parse(beforeValue) as Settings, JSON.parse(afterValue) as Settings);
          if (!diff && result === 'applied') return; // nothing changed: nothing to audit
          beforeValue = diff?.before;
          afterValue = diff?.after;
        }
        try {
          audit.append({
            actor: context.actor,
            action: spec.action,
            op: null,
            target: null,
            name: null,
            before: null,
            after: null,
            beforeValue: beforeValue === undefined ? null : clip(beforeValue),
            afterValue: afterValue === undefined ? null : clip(afterValue),
            why: spec.why(input).slice(0, 1024),
            result,
            reason: null,
            message: message === null ? null : message.slice(0, 1024),
            changeId: null,
          });
        } catch (error) {
          console.error(`[allot] could not audit ${channel}:`, error);
        }
      };
      try {
        const value = await handler(input, context);
        const refused = channel === 'rules.set' && (value as { ok: boolean }).ok === false;
        record(refused ? 'refused' : 'applied', refused ? (value as { message: string }).message : null);
        return value;
      } catch (error) {
        record('refused', error instanceof Error ? error.message : String(error));
        throw error;
      }
    }) as Handler;
  }
  return wrapped as H;
}

function safeRead(spec: Audited): string | undefined {
  try {
    return spec.read();
  } catch {
    return undefined;
  }
}
