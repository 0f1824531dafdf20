// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { RulesView } from '../../../src-renderer/views/RulesView';
import { useStore } from '../../../src-renderer/store';
import { setClient } from '../../../src-renderer/ipc/client';
import { DEFAULT_RULES_FILE, formatRulesFile, parseRulesFile } from '../../../src-shared/rules';
import { createFakeTransport, type FakeTransport } from '../fake-transport';

const initial = useStore.getState();
const TEXT = formatRulesFile(DEFAULT_RULES_FILE);
let transport: FakeTransport;
let saved: string;
beforeEach(() => {
  saved = TEXT;
  transport = createFakeTransport({
    'rules.get': () => ({ text: saved, defaultText: TEXT }),
    'rules.set': ({ text }) => {
      const parsed = parseRulesFile(text);
      if (!parsed.ok) return { ok: false, ...parsed.error };
      saved = text;
      return { ok: true, rules: parsed.value.rules.length, profiles: parsed.value.profiles.length };
    },
  });
  setClient(transport);
  useStore.setState({ ...initial }, true);
});
afterEach(() => {
  cleanup();
  setClient(undefined);
});

const editor = () => screen.getByRole('textbox', { name: 'Rules file (JSON)' }) as HTMLTextAreaElement;

describe('RulesView', () => {
  it('validates as you type with line and column; the server refuses the save and nothing changes', async () => {
    await act(async () => {
      render(<RulesView />);
    });
    expect(editor().value).toBe(TEXT);
    expect(screen.getByTestId('rules-validation').textContent).toBe('Valid');
    const broken = TEXT.replace('"nice"', '"nice"').replace('"tier": "batch"', '"tier": "turbo"');
    fireEvent.change(editor(), { target: { value: broken } });
    const validation = screen.getByTestId('rules-validation').textContent ?? '';
    const line = broken.split('\n').findIndex((l) => l.includes('"turbo"')) + 1;
    expect(validation).toMatch(new RegExp(`Invalid, line ${line}, column \\d+ \\(rules\\.\\d+\\.action\\.tier\\)`));
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    });
    expect(screen.getByTestId('rules-refusal').textContent).toMatch(new RegExp(`Not saved, nothing changed: line ${line}`));
    expect(saved).toBe(TEXT);
  });

  it('threshold controls edit the JSON, then Save stores it', async () => {
    await act(async () => {
      render(<RulesView />);
    });
    const input = document.querySelector('[data-control="processCpuPercent"] input') as HTMLInputElement;
    expect(input.value).toBe('20');
    fireEvent.change(input, { target: { value: '35' } });
    fireEvent.blur(input);
    expect(screen.getByTestId('rules-state').textContent).toBe('unsaved changes');
    const parsed = parseRulesFile(editor().value);
    expect(parsed.ok && parsed.value.profiles[0]!.thresholds.processCpuPercent).toBe(35);
    const tooBig = document.querySelector('[data-control="systemCpuPercent"] input') as HTMLInputElement;
    fireEvent.change(tooBig, { target: { value: '120' } });
    fireEvent.blur(tooBig);
    expect(screen.getAllByRole('alert').some((a) => /a number from 0 to 100/.test(a.textContent ?? ''))).toBe(true);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    });
    expect(saved).toContain('"processCpuPercent": 35');
    expect(screen.getByTestId('rules-state').textContent).toBe('in force');
  });

  it('reset to defaults and revert', async () => {
    saved = TEXT.replace('"activeProfile": "balanced"', '"activeProfile": "quiet"');
    await act(async () => {
      render(<RulesView />);
    });
    fireEvent.click(screen.getByRole('button', { name: 'Reset to defaults' }));
    expect(editor().value).toBe(TEXT);
    fireEvent.click(screen.getByRole('button', { name: 'Revert' }));
    expect(editor().value).toBe(saved);
  });

  it('imports a file with FileReader', async () => {
    await act(async () => {
      render(<RulesView />);
    });
    const input = screen.getByLabelText('Import rules file') as HTMLInputElement;
    const file = new File(['{ "version": 2 }'], 'mine.json', { type: 'application/json' });
    await act(async () => {
      fireEvent.change(input, { target: { files: [file] } });
    });
    // FileReader answers asynchronously: wait for it rather than for a fixed time.
    await waitFor(() => expect(editor().value).toBe('{ "version": 2 }'), { timeout: 5000 });
    expect(screen.getByTestId('rules-validation').textContent).toMatch(/Invalid, line 1, column 14 \(version\)/);
  });
});
