// Rules view: controls for the common balancer thresholds of a profile and for tenants' budgets
// (they edit the JSON below), and the rules file editor with line numbers, instant validation
// (parseRulesFile, line:column and reason), Save (the core validates again and may refuse), Revert,
// Reset to defaults, Import from a file and Export to a file.
import { useEffect, useMemo, useRef, useState, type ChangeEvent } from 'react';
import { parseRulesFile, type RulesFile } from '../../src-shared/rules';
import { formatBytes } from '../../src-shared/format';
import { useStore } from '../store';
import { actBlockedReason } from '../store/connection';
import {
  describeRulesError,
  profileThresholds,
  setProfileThreshold,
  setTenantBudget,
  THRESHOLD_CONTROLS,
  type EditResult,
  type ThresholdKey,
} from '../model/rules-edit';
import { downloadText, readFileText } from '../components/download';
import { errorMessage } from '../../src-shared/errors';

const GIB = 1024 ** 3;

/** A number field that commits on Enter or blur; shows its own parse error. */
function NumberField(props: { label: string; unit: string; value: number | undefined; min: number; max: number; step: number; disabled: boolean; placeholder?: string; onCommit(value: number | undefined): string | undefined; name: string }) {
  const [text, setText] = useState(props.value === undefined ? '' : String(props.value));
  const [error, setError] = useState<string | undefined>();
  useEffect(() => setText(props.value === undefined ? '' : String(props.value)), [props.value]);
  const commit = (): void => {
    const trimmed = text.trim();
    if (trimmed === (props.value === undefined ? '' : String(props.value))) return;
    const value = trimmed === '' ? undefined : Number(trimmed);
    if (value !== undefined && (!Number.isFinite(value) || value < props.min || value > props.max)) {
      setError(`${props.label}: a number from ${props.min} to ${props.max}`);
      return;
    }
    setError(props.onCommit(value));
  };
  return (
    <label className="field threshold" data-control={props.name}>
      {props.label}
      <span className="inline">
        <input
          type="number"
          min={props.min}
          max={props.max}
          step={props.step}
          value={text}
          placeholder={props.placeholder}
          disabled={props.disabled}
          aria-invalid={!!error}
          onChange={(event) => setText(event.target.value)}
          onBlur={commit}
          onKeyDown={(event) => event.key === 'Enter' && commit()}
        />
        <span className="muted">{props.unit}</span>
      </span>
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </label>
  );
}

function StructuredControls({ file, text, onEdit }: { file: RulesFile | undefined; text: string; onEdit(result: EditResult): string | undefined }) {
  const activeProfileId = useStore((state) => state.engineState?.profileId);
  const [picked, setPicked] = useState<string | undefined>();
  const profileId = picked ?? (file && activeProfileId && file.profiles.some((p) => p.id === activeProfileId) ? activeProfileId : file?.activeProfile);
  const profile = file?.profiles.find((p) => p.id === profileId);
  const thresholds = file && profileId ? profileThresholds(file, profileId) : undefined;
  const disabled = !file;
  return (
    <div className="rules-controls">
      <fieldset className="card" aria-label="Balancer thresholds">
        <legend>Balancer thresholds</legend>
        {!file && <p className="reason">Fix the error in the file below to use these controls.</p>}
        <label className="field inline">
          Profile
          <select aria-label="Threshold profile" value={profileId ?? ''} disabled={disabled} onChange={(event) => setPicked(event.target.value)}>
            {(file?.profiles ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
                {p.id === activeProfileId ? ' (active)' : ''}
              </option>
            ))}
          </select>
        </label>
        <div className="row-fields">
          {THRESHOLD_CONTROLS.map((control) => (
            <NumberField
              key={`${profileId}-${control.key}`}
              name={control.key}
              label={control.label}
              unit={control.unit}
              min={control.min}
              max={control.max}
              step={control.step}
              disabled={disabled}
              value={thresholds?.[control.key as ThresholdKey]}
              onCommit={(value) => onEdit(setProfileThreshold(text, profileId!, control.key, value))}
            />
          ))}
        </div>
        {profile && <p className="hint">{profile.description ?? ''} Empty a field to use the default.</p>}
      </fieldset>
      <fieldset className="card" aria-label="Tenant budgets">
        <legend>Tenants and budgets</legend>
        {!file || file.tenants.length === 0 ? (
          <p className="hint">No tenants. Add one in the editor, e.g. {'{ "id": "alice", "name": "Alice", "users": ["alice"], "cpuBudgetPercent": 50 }'} in "tenants" (docs/rules.md).</p>
        ) : (
          file.tenants.map((tenant) => (
            <div className="row-fields tenant" key={tenant.id} data-tenant={tenant.id}>
              <div className="tenant-name">
                <strong>{tenant.name}</strong>
                <div className="muted">{[...tenant.users.map((u) => `user ${u}`), ...tenant.programs].join(', ')} · weight {tenant.weight}</div>
              </div>
              <NumberField
                name={`${tenant.id}.cpu`}
                label={`CPU budget of ${tenant.name}`}
                unit="% of the machine"
                min={0}
                max={100}
                step={1}
                disabled={disabled}
                placeholder="none"
                value={tenant.cpuBudgetPercent}
                onCommit={(value) => onEdit(setTenantBudget(text, tenant.id, { cpuBudgetPercent: value ?? null }))}
              />
              <NumberField
                name={`${tenant.id}.memory`}
                label={`Memory budget of ${tenant.name}`}
                unit={tenant.memoryBudgetBytes ? `GiB (${formatBytes(tenant.memoryBudgetBytes)})` : 'GiB'}
                min={0.001}
                max={1_048_576}
                step={0.5}
                disabled={disabled}
                placeholder="none"
                value={tenant.memoryBudgetBytes === undefined ? undefined : Math.round((tenant.memoryBudgetBytes / GIB) * 1000) / 1000}
                onCommit={(value) => onEdit(setTenantBudget(text, tenant.id, { memoryBudgetBytes: value === undefined ? null : Math.round(value * GIB) }))}
              />
            </div>
          ))
        )}
      </fieldset>
    </div>
  );
}

/** Offset of the start of a 1-based line. */
function lineOffset(text: string, line: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return offset;
}

export function RulesView() {
  const loaded = useStore((state) => state.rulesLoaded);
  const text = useStore((state) => state.rulesText);
  const saved = useStore((state) => state.rulesSavedText);
  const defaults = useStore((state) => state.rulesDefaultText);
  const loadError = useStore((state) => state.rulesLoadError);
  const saving = useStore((state) => state.rulesSaving);
  const lastSave = useStore((state) => state.rulesLastSave);
  const actions = useStore.getState();
  const blocked = useStore(actBlockedReason);
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const gutterRef = useRef<HTMLPreElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    void useStore.getState().loadRules();
  }, []);

  const validation = useMemo(() => parseRulesFile(text), [text]);
  const lineCount = useMemo(() => text.split('\n').length, [text]);
  const gutter = useMemo(() => Array.from({ length: lineCount }, (_, i) => i + 1).join('\n'), [lineCount]);
  const dirty = text !== saved;

  const goTo = (line: number, column: number): void => {
    const area = textareaRef.current;
    if (!area) return;
    const start = lineOffset(text, line) + Math.max(0, column - 1);
    const end = text.indexOf('\n', start);
    area.focus();
    area.setSelectionRange(start, end < 0 ? text.length : end);
    const lineHeight = Number.parseFloat(getComputedStyle(area).lineHeight) || 18;
    area.scrollTop = Math.max(0, (line - 5) * lineHeight);
  };

  const onEdit = (result: EditResult): string | undefined => {
    if (!result.ok) return describeRulesError(result.error);
    actions.setRulesText(result.text);
    return undefined;
  };

  const onImport = async (event: ChangeEvent<HTMLInputElement>): Promise<void> => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    try {
      const imported = await readFileText(file);
      actions.setRulesText(imported);
      const check = parseRulesFile(imported);
      actions.pushToast(check.ok ? 'info' : 'error', check.ok ? `Imported ${file.name}: review, then Save` : `Imported ${file.name}, but it is invalid: ${describeRulesError(check.error)}`);
    } catch (error) {
      actions.pushToast('error', `Could not read ${file.name}: ${errorMessage(error)}`);
    }
  };

  const serverRefusal = lastSave && !lastSave.ok ? ('error' in lastSave ? lastSave.error : describeRulesError(lastSave)) : undefined;
  return (
    <section className="view rules-view" aria-label="Rules">
      <header className="summary">
        <div className="metric">
          <span className="label">Rules file</span>
          <span className="value small" data-testid="rules-state">
            {!loaded ? 'loading…' : dirty ? 'unsaved changes' : 'in force'}
          </span>
        </div>
        {validation.ok && (
          <div className="metric">
            <span className="label">Contents</span>
            <span className="value small">
              {validation.value.rules.length} rules · {validation.value.profiles.length} profiles · {validation.value.tenants.length} tenants ·{' '}
              {validation.value.triggers.length} triggers
            </span>
          </div>
        )}
        <div className="toolbar">
          <button type="button" className="primary" disabled={!loaded || saving || !dirty || !!blocked} title={blocked} data-blocked={blocked ? '' : undefined} onClick={() => void actions.saveRules()}>
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button type="button" disabled={!dirty} onClick={() => actions.setRulesText(saved)}>
            Revert
          </button>
          <button type="button" disabled={!defaults || text === defaults} onClick={() => actions.resetRulesToDefault()} title="Put the built-in rules in the editor (Save to use them)">
            Reset to defaults
          </button>
          <button type="button" onClick={() => fileRef.current?.click()}>
            Import…
          </button>
          <input ref={fileRef} type="file" accept=".json,application/json" className="sr-only" aria-label="Import rules file" onChange={(event) => void onImport(event)} tabIndex={-1} />
          <button type="button" disabled={!text} onClick={() => downloadText('allot-rules.json', 'application/json', text)}>
            Export
          </button>
        </div>
      </header>
      <div className="scroll-area rules-body">
        {loadError && (
          <p className="banner error" role="alert">
            {loadError}
          </p>
        )}
        <StructuredControls file={validation.ok ? validation.value : undefined} text={text} onEdit={onEdit} />
        <div className={`validation ${validation.ok ? 'ok' : 'bad'}`} role="status" aria-live="polite" data-testid="rules-validation">
          {validation.ok ? (
            'Valid'
          ) : (
            <>
              <span data-line={validation.error.line}>Invalid, {describeRulesError(validation.error)}</span>{' '}
              <button type="button" onClick={() => goTo(validation.error.line, validation.error.column)}>
                Go to line {validation.error.line}
              </button>
            </>
          )}
        </div>
        {serverRefusal && (
          <p className="banner error" role="alert" data-testid="rules-refusal">
            Not saved, nothing changed: {serverRefusal}
          </p>
        )}
        <div className="code-editor">
          <pre className="gutter" ref={gutterRef} aria-hidden="true">
            {gutter}
          </pre>
          <textarea
            ref={textareaRef}
            aria-label="Rules file (JSON)"
            spellCheck={false}
            wrap="off"
            value={text}
            disabled={!loaded}
            onChange={(event) => actions.setRulesText(event.target.value)}
            onScroll={(event) => {
              if (gutterRef.current) gutterRef.current.scrollTop = event.currentTarget.scrollTop;
            }}
            onKeyDown={(event) => {
              if ((event.ctrlKey || event.metaKey) && event.key === 's') {
                event.preventDefault();
                if (dirty) void actions.saveRules();
              }
            }}
          />
        </div>
      </div>
    </section>
  );
}
