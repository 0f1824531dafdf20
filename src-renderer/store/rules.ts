// Rules slice: the rules file text being edited, the text in force and the built-in defaults, and
// saving through rules.set (the core validates again and refuses with line and column). The editor
// validates instantly with parseRulesFile (src-shared is pure, so it runs here too).
import type { StateCreator } from 'zustand';
import type { RulesSetResult } from '../../src-shared/contract';
import type { RuleAction } from '../../src-shared/rules';
import { client } from '../ipc/client';
import { addProgramRule, describeRulesError, type ProgramRuleTarget } from '../model/rules-edit';
import { describeError } from './errors';
import type { AppState } from './index';

export type RulesSaveOutcome = RulesSetResult | { ok: false; error: string };

export interface RulesSlice {
  rulesLoaded: boolean;
  /** What the editor shows. */
  rulesText: string;
  /** The file in force (as last read or saved). */
  rulesSavedText: string;
  rulesDefaultText: string;
  rulesLoadError?: string;
  rulesSaving: boolean;
  rulesLastSave?: RulesSaveOutcome;
  loadRules(): Promise<void>;
  setRulesText(text: string): void;
  /** Save the editor text (or `text`); never throws. */
  saveRules(text?: string): Promise<RulesSaveOutcome>;
  /** Put the built-in rules in the editor (not saved until Save). */
  resetRulesToDefault(): void;
  /** Add a persistent rule for a program (reads the file in force, edits, saves). */
  addRuleForProgram(target: ProgramRuleTarget, action: RuleAction): Promise<{ ok: boolean; message: string }>;
}

export const createRulesSlice: StateCreator<AppState, [], [], RulesSlice> = (set, get) => ({
  rulesLoaded: false,
  rulesText: '',
  rulesSavedText: '',
  rulesDefaultText: '',
  rulesSaving: false,
  async loadRules() {
    try {
      const view = await client().invoke('rules.get', {});
      const dirty = get().rulesLoaded && get().rulesText !== get().rulesSavedText;
      set({
        rulesLoaded: true,
        rulesSavedText: view.text,
        rulesDefaultText: view.defaultText,
        rulesLoadError: undefined,
        // Unsaved edits are kept; otherwise show the file in force.
        ...(dirty ? {} : { rulesText: view.text }),
      });
    } catch (error) {
      set({ rulesLoadError: `Could not read the rules: ${describeError(error)}` });
    }
  },
  setRulesText(rulesText) {
    set({ rulesText });
  },
  async saveRules(text) {
    const body = text ?? get().rulesText;
    set({ rulesSaving: true });
    let outcome: RulesSaveOutcome;
    try {
      outcome = await client().invoke('rules.set', { text: body });
      // Only what was saved is marked saved: text typed while saving stays in the editor.
      if (outcome.ok) set({ rulesSavedText: body });
    } catch (error) {
      outcome = { ok: false, error: describeError(error) };
    }
    set({ rulesSaving: false, rulesLastSave: outcome });
    if (outcome.ok) get().pushToast('success', `Rules saved: ${outcome.rules} rules, ${outcome.profiles} profiles`);
    else get().pushToast('error', `Rules not saved: ${'error' in outcome ? outcome.error : describeRulesError(outcome)}`);
    return outcome;
  },
  resetRulesToDefault() {
    set((state) => ({ rulesText: state.rulesDefaultText }));
  },
  async addRuleForProgram(target, action) {
    let current: string;
    try {
      current = (await client().invoke('rules.get', {})).text;
    } catch (error) {
      return { ok: false, message: `Could not read the rules: ${describeError(error)}` };
    }
    const edited = addProgramRule(current, target, action);
    if (!edited.ok) return { ok: false, message: `The rules in force could not be edited: ${describeRulesError(edited.error)}` };
    let result: RulesSetResult;
    try {
      result = await client().invoke('rules.set', { text: edited.text });
    } catch (error) {
      return { ok: false, message: `Rule not saved: ${describeError(error)}` };
    }
    if (!result.ok) return { ok: false, message: `Rule refused: ${describeRulesError(result)}` };
    // Keep the Rules view in step, unless the person has unsaved edits there.
    if (get().rulesText === get().rulesSavedText) set({ rulesText: edited.text });
    set({ rulesSavedText: edited.text });
    return { ok: true, message: `Rule "${edited.ruleId}" saved (${result.rules} rules): it applies to every new ${target.exe ?? target.name} process` };
  },
});
