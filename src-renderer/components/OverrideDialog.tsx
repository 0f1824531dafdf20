// Per-process override dialog: priority, affinity (a checkbox per core, SMT siblings grouped), I/O
// priority, CPU cap, memory limit, efficiency mode, suspend; for how long; validation messages; controls
// the OS or privileges do not allow are disabled with the capability's reason; the result per change.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { Capabilities, Change, Operation } from '../../src-shared/actions';
import type { IoClass, ProcessSample, SystemInfo } from '../../src-shared/domain';
import { useStore } from '../store';
import { actBlockedReason } from '../store/connection';
import type { ApplyOutcome } from '../store/changes';
import { describeResult, describeValue, OPERATION_LABELS } from './change-format';
import type { RuleAction } from '../../src-shared/rules';
import type { Tier } from '../../src-shared/engine';
import {
  applyTier,
  IRREVERSIBLE_QUESTION,
  irreversibleChanges,
  TIERS,
  coreGroups,
  initialForm,
  RULES_UNAVAILABLE_REASON,
  rulesAvailable,
  sectionDisabledReason,
  validateForm,
  type FormErrors,
  type OverrideForm,
  type SectionId,
} from './override-form';
import { processKey } from '../../src-shared/identity';

export interface OverrideDialogProps {
  targets: readonly ProcessSample[];
  preset?: Operation | 'tier';
  systemInfo?: SystemInfo;
  capabilities?: Capabilities;
  capabilitiesError?: string;
  onApply(changes: Change[], durationMs: number | undefined, confirmIrreversible?: boolean): Promise<ApplyOutcome[]>;
  /** "Always for this program": save a rule with this action (the dialog also applies it now). */
  onSaveRule?(action: RuleAction): Promise<{ ok: boolean; message: string }>;
  onClose(): void;
  /** Why this page may not act (a viewer, no connection): Apply is disabled and says so. */
  blockedReason?: string;
}

const TIER_LABELS: Record<Tier, string> = {
  realtime: 'Real-time-ish (audio)',
  foreground: 'Foreground',
  interactive: 'Interactive',
  normal: 'Normal',
  background: 'Background',
  batch: 'Batch',
};

const SECTION_LABELS: Record<SectionId, string> = {
  priority: 'Priority (nice)',
  affinity: 'CPU affinity',
  ioPriority: 'I/O priority',
  cpuCap: 'CPU cap',
  memoryLimit: 'Memory limit',
  efficiencyMode: 'Efficiency mode',
  suspend: 'Suspend / resume',
};

export function OverrideDialog(props: OverrideDialogProps) {
  const first = props.targets[0];
  const [form, setForm] = useState<OverrideForm | undefined>(() => (first ? initialForm(first, props.systemInfo, props.preset) : undefined));
  const [errors, setErrors] = useState<FormErrors>({});
  const [busy, setBusy] = useState(false);
  const [outcomes, setOutcomes] = useState<ApplyOutcome[] | undefined>();
  const [ruleOutcome, setRuleOutcome] = useState<{ ok: boolean; message: string } | undefined>();
  /** Changes Allot could not undo with its rights, waiting for the person's answer. */
  const [pending, setPending] = useState<{ changes: Change[]; reasons: string[]; durationMs: number | undefined } | undefined>();
  const dialogRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    dialogRef.current?.querySelector<HTMLElement>('input:not([disabled]), select:not([disabled]), button:not([disabled])')?.focus();
  }, []);

  if (!first || !form) return null;
  const logicalCores = props.systemInfo?.logicalCores ?? form.cpus.length;
  const update = (patch: Partial<OverrideForm>): void => setForm({ ...form, ...patch });
  const setEnabled = (section: SectionId, value: boolean): void => update({ enabled: { ...form.enabled, [section]: value } });

  const submit = async (): Promise<void> => {
    const result = validateForm(form, {
      logicalCores,
      totalMemoryBytes: props.systemInfo?.totalMemoryBytes ?? 0,
      capabilities: props.capabilities,
    });
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const applied = await props.onApply(result.changes, result.durationMs);
      setOutcomes(applied);
      const irreversible = irreversibleChanges(applied);
      setPending(irreversible.changes.length > 0 ? { ...irreversible, durationMs: result.durationMs } : undefined);
      if (result.ruleAction) {
        setRuleOutcome(
          props.onSaveRule ? await props.onSaveRule(result.ruleAction) : { ok: false, message: 'rules cannot be saved from here' },
        );
      }
    } finally {
      setBusy(false);
    }
  };

  /** The person's answer to IRREVERSIBLE_QUESTION; yes applies those changes again, confirmed (audited). */
  const answer = async (yes: boolean): Promise<void> => {
    const asked = pending;
    setPending(undefined);
    if (!yes || !asked) return;
    setBusy(true);
    try {
      const confirmed = await props.onApply(asked.changes, asked.durationMs, true);
      setOutcomes([...(outcomes ?? []).filter((o) => !(o.kind === 'done' && o.output.result.kind === 'refused' && o.output.result.reason === 'irreversible')), ...confirmed]);
    } finally {
      setBusy(false);
    }
  };

  const section = (id: SectionId, body: ReactNode): ReactNode => {
    const reason = sectionDisabledReason(id, props.capabilities);
    const limits = props.capabilities?.operations[id]?.limits;
    const enabled = form.enabled[id] && !reason;
    return (
      <fieldset className={`section${reason ? ' disabled' : ''}`} data-section={id} key={id}>
        <legend>
          <label>
            <input
              type="checkbox"
              checked={enabled}
              disabled={!!reason}
              aria-describedby={reason ? `reason-${id}` : undefined}
              onChange={(event) => setEnabled(id, event.target.checked)}
            />{' '}
            Change {SECTION_LABELS[id].toLowerCase()}
          </label>
        </legend>
        {reason && (
          <p className="reason" id={`reason-${id}`}>
            Unavailable: {reason}
          </p>
        )}
        {!reason && limits && limits.length > 0 && <p className="hint">{limits.join(' · ')}</p>}
        <div className="section-body" aria-disabled={!enabled}>
          {body}
        </div>
        {errors[id] && (
          <p className="field-error" role="alert" data-error={id}>
            {errors[id]}
          </p>
        )}
      </fieldset>
    );
  };

  const disabledIn = (id: SectionId): boolean => !form.enabled[id] || !!sectionDisabledReason(id, props.capabilities);
  const groups = coreGroups(props.systemInfo ?? { logicalCores });
  const title =
    props.targets.length === 1 ? `${first.name} (PID ${first.pid})` : `${props.targets.length} processes (${props.targets.map((t) => t.name).slice(0, 3).join(', ')}${props.targets.length > 3 ? ', …' : ''})`;

  return (
    <div className="modal-backdrop" onMouseDown={(event) => event.target === event.currentTarget && props.onClose()}>
      <div
        className="modal override-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="override-title"
        ref={dialogRef}
        onKeyDown={(event) => event.key === 'Escape' && props.onClose()}
      >
        <h2 id="override-title">Override: {title}</h2>
        {props.capabilitiesError && <p className="hint">Could not read what this machine allows ({props.capabilitiesError}); the core will refuse what it cannot do.</p>}
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
          noValidate
        >
          <label className="field tier-picker">
            Tier (sets priority and I/O priority together)
            <select
              aria-label="Tier"
              value={form.tier}
              onChange={(e) => (e.target.value ? setForm(applyTier(form, e.target.value as Tier)) : update({ tier: '' }))}
            >
              <option value="">No tier: set each below</option>
              {TIERS.map((tier) => (
                <option key={tier} value={tier}>
                  {TIER_LABELS[tier]}
                </option>
              ))}
            </select>
          </label>
          <div className="sections">
            {section(
              'priority',
              <label className="field">
                Nice (-20 highest … 19 lowest; now {first.nice})
                <input type="number" min={-20} max={19} step={1} value={form.nice} disabled={disabledIn('priority')} onChange={(e) => update({ nice: e.target.value })} />
              </label>,
            )}
            {section(
              'affinity',
              <div className="cores" role="group" aria-label="CPUs">
                {groups.map((group) => (
                  <div className="core-group" key={group.join(',')} title={group.length > 1 ? `SMT siblings: CPUs ${group.join(', ')} share one physical core` : undefined}>
                    {group.map((cpu) => (
                      <label key={cpu} className="core">
                        <input
                          type="checkbox"
                          aria-label={`CPU ${cpu}`}
                          checked={form.cpus.includes(cpu)}
                          disabled={disabledIn('affinity')}
                          onChange={(e) => update({ cpus: e.target.checked ? [...form.cpus, cpu] : form.cpus.filter((c) => c !== cpu) })}
                        />
                        {cpu}
                      </label>
                    ))}
                  </div>
                ))}
                <span className="core-actions">
                  <button type="button" disabled={disabledIn('affinity')} onClick={() => update({ cpus: Array.from({ length: logicalCores }, (_, i) => i) })}>
                    All
                  </button>
                  <button type="button" disabled={disabledIn('affinity')} onClick={() => update({ cpus: [] })}>
                    None
                  </button>
                </span>
              </div>,
            )}
            {section(
              'ioPriority',
              <div className="row-fields">
                <label className="field">
                  I/O class
                  <select value={form.ioClass} disabled={disabledIn('ioPriority')} onChange={(e) => update({ ioClass: e.target.value as IoClass })}>
                    <option value="realtime">Realtime</option>
                    <option value="best-effort">Best effort</option>
                    <option value="idle">Idle</option>
                    <option value="none">None (follow CPU nice)</option>
                  </select>
                </label>
                <label className="field">
                  Level (0 highest … 7 lowest)
                  <input
                    type="number"
                    min={0}
                    max={7}
                    value={form.ioLevel}
                    disabled={disabledIn('ioPriority') || form.ioClass === 'idle' || form.ioClass === 'none'}
                    onChange={(e) => update({ ioLevel: e.target.value })}
                  />
                </label>
              </div>,
            )}
            {section(
              'cpuCap',
              <label className="field">
                CPU cap, % of one core (100 = one full core)
                <input type="number" min={1} max={100 * logicalCores} value={form.cpuCapPercent} disabled={disabledIn('cpuCap')} onChange={(e) => update({ cpuCapPercent: e.target.value })} />
              </label>,
            )}
            {section(
              'memoryLimit',
              <div className="row-fields">
                <label className="field">
                  Soft memory limit
                  <input type="number" min={1} value={form.memoryAmount} disabled={disabledIn('memoryLimit')} onChange={(e) => update({ memoryAmount: e.target.value })} />
                </label>
                <label className="field">
                  Unit
                  <select value={form.memoryUnit} disabled={disabledIn('memoryLimit')} onChange={(e) => update({ memoryUnit: e.target.value as 'MiB' | 'GiB' })}>
                    <option value="MiB">MiB</option>
                    <option value="GiB">GiB</option>
                  </select>
                </label>
              </div>,
            )}
            {section(
              'efficiencyMode',
              <label className="field inline">
                <input type="checkbox" checked={form.efficiency} disabled={disabledIn('efficiencyMode')} onChange={(e) => update({ efficiency: e.target.checked })} /> Efficiency mode on
              </label>,
            )}
            {section(
              'suspend',
              <div className="row-fields" role="radiogroup" aria-label="Suspend or resume">
                <label className="field inline">
                  <input type="radio" name="suspend" checked={form.suspended} disabled={disabledIn('suspend')} onChange={() => update({ suspended: true })} /> Suspend
                </label>
                <label className="field inline">
                  <input type="radio" name="suspend" checked={!form.suspended} disabled={disabledIn('suspend')} onChange={() => update({ suspended: false })} /> Resume
                </label>
              </div>,
            )}
          </div>
          <fieldset className="duration" role="radiogroup" aria-label="Duration">
            <legend>For how long</legend>
            <label className="field inline">
              <input type="radio" name="duration" checked={form.duration === 'exit'} onChange={() => update({ duration: 'exit' })} /> Until the process exits
            </label>
            <label className="field inline">
              <input type="radio" name="duration" checked={form.duration === 'minutes'} onChange={() => update({ duration: 'minutes' })} /> For
              <input
                type="number"
                className="minutes"
                aria-label="Minutes"
                min={1}
                max={10080}
                value={form.minutes}
                disabled={form.duration !== 'minutes'}
                onChange={(e) => update({ minutes: e.target.value })}
              />
              minutes
            </label>
            <label className="field inline" title={rulesAvailable() ? undefined : RULES_UNAVAILABLE_REASON}>
              <input
                type="radio"
                name="duration"
                checked={form.duration === 'rule'}
                disabled={!rulesAvailable()}
                aria-describedby={rulesAvailable() ? undefined : 'reason-rule'}
                onChange={() => update({ duration: 'rule' })}
              />{' '}
              Always for this program
              {!rulesAvailable() && (
                <span className="reason" id="reason-rule">
                  {' '}
                  (unavailable: {RULES_UNAVAILABLE_REASON})
                </span>
              )}
            </label>
            {errors.duration && (
              <p className="field-error" role="alert" data-error="duration">
                {errors.duration}
              </p>
            )}
          </fieldset>
          {errors.form && (
            <p className="field-error" role="alert" data-error="form">
              {errors.form}
            </p>
          )}
          {outcomes && (
            <ul className="outcomes" aria-label="Results" aria-live="polite">
              {outcomes.map((outcome, index) => (
                <li
                  key={index}
                  data-result={outcome.kind === 'error' ? 'error' : outcome.output.result.kind}
                  className={outcome.kind === 'done' && outcome.output.result.kind === 'applied' ? 'ok' : 'bad'}
                >
                  <strong>
                    {OPERATION_LABELS[outcome.change.op]} → {describeValue(outcome.change)}
                  </strong>{' '}
                  on {outcome.target.name} ({outcome.target.pid}):{' '}
                  {outcome.kind === 'error' ? `Failed: ${outcome.message}` : describeResult(outcome.output.result)}
                </li>
              ))}
            </ul>
          )}
          {pending && (
            <div className="confirm" role="alertdialog" aria-label="Confirm a change Allot cannot undo" data-confirm="irreversible">
              <p>
                <strong>{IRREVERSIBLE_QUESTION}</strong>
              </p>
              <ul>
                {pending.reasons.map((reason) => (
                  <li key={reason}>{reason}</li>
                ))}
              </ul>
              <button type="button" onClick={() => void answer(false)}>
                Leave it as it is
              </button>{' '}
              <button type="button" className="danger" onClick={() => void answer(true)} disabled={busy}>
                Continue anyway
              </button>
            </div>
          )}
          {ruleOutcome && (
            <p className={`rule-outcome ${ruleOutcome.ok ? 'ok' : 'bad'}`} role="status" data-result="rule">
              {ruleOutcome.message}
            </p>
          )}
          <div className="modal-actions">
            <button type="button" onClick={props.onClose}>
              {outcomes ? 'Close' : 'Cancel'}
            </button>
            {props.blockedReason && (
              <span className="reason" data-testid="apply-blocked">
                {props.blockedReason}
              </span>
            )}
            <button type="submit" className="primary" disabled={busy || !!props.blockedReason} title={props.blockedReason}>
              {busy ? 'Applying…' : 'Apply'}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}

/** The dialog wired to the store: targets from the open dialog, apply through the changes slice. */
export function ConnectedOverrideDialog() {
  const dialog = useStore((state) => state.dialog);
  const systemInfo = useStore((state) => state.systemInfo);
  const capabilities = useStore((state) => state.capabilities);
  const capabilitiesError = useStore((state) => state.capabilitiesError);
  const applyChanges = useStore((state) => state.applyChanges);
  const addRuleForProgram = useStore((state) => state.addRuleForProgram);
  const closeDialog = useStore((state) => state.closeDialog);
  const blockedReason = useStore(actBlockedReason);
  if (dialog?.kind !== 'override') return null;
  const targets = dialog.targets;
  return (
    <OverrideDialog
      key={targets.map(processKey).join(',') + (dialog.preset ?? '')}
      targets={targets}
      preset={dialog.preset}
      systemInfo={systemInfo}
      capabilities={capabilities}
      capabilitiesError={capabilitiesError}
      onApply={(changes, durationMs, confirmIrreversible) =>
        applyChanges(
          targets.map((t) => ({ pid: t.pid, startTime: t.startTime, name: t.name })),
          changes,
          {
            why: 'set by the user in the override dialog',
            ...(durationMs !== undefined ? { durationMs } : {}),
            ...(confirmIrreversible ? { confirmIrreversible: true } : {}),
          },
        )
      }
      onSaveRule={(action) => {
        const first = targets[0]!;
        return addRuleForProgram({ name: first.name, ...(first.exe ? { exe: first.exe } : {}) }, action);
      }}
      onClose={closeDialog}
      {...(blockedReason ? { blockedReason } : {})}
    />
  );
}
