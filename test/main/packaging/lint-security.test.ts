// The Electron security gate (scripts/lint-security.mjs): Electronegativity's CSV is read correctly,
// HIGH findings block, and the real tool flags an insecure window while passing Allot's sources.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { blockingFindings, main, parseFindings, runElectronegativity } from '../../../scripts/lint-security.mjs';

const CSV = `issue, severity, confidence, filename, location, sample, description, url
CSP_GLOBAL_CHECK,"LOW","FIRM","index.html","5:0","default-src 'self'; img-src "data:" x","One or more CSP directives, maybe",https://x/CSP
NODE_INTEGRATION_JS_CHECK,"HIGH","FIRM","main.js","3:1","const w = new BrowserWindow({","Disable nodeIntegration for untrusted origins",https://x/NI
`;

describe('lint:security', () => {
  it('reads Electronegativity CSV, including quotes and commas inside fields', () => {
    const findings = parseFindings(CSV);
    expect(findings.map((f) => [f.issue, f.severity, f.filename])).toEqual([
      ['CSP_GLOBAL_CHECK', 'LOW', 'index.html'],
      ['NODE_INTEGRATION_JS_CHECK', 'HIGH', 'main.js'],
    ]);
    expect(findings[0]!.sample).toBe(`default-src 'self'; img-src "data:" x`);
    expect(findings[0]!.description).toBe('One or more CSP directives, maybe');
    expect(() => parseFindings('garbage')).toThrow(/CSV header/);
  });

  it('blocks on HIGH only, unless a check is explicitly allowed', () => {
    const findings = parseFindings(CSV);
    expect(blockingFindings(findings).map((f) => f.issue)).toEqual(['NODE_INTEGRATION_JS_CHECK']);
    expect(blockingFindings(findings, ['NODE_INTEGRATION_JS_CHECK'])).toEqual([]);
  });

  it('the real tool fails an insecure window and passes a secure one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'allot-eneg-fixture-'));
    const insecure = join(dir, 'insecure');
    mkdirSync(insecure);
    writeFileSync(
      join(insecure, 'main.js'),
      `const { BrowserWindow } = require('electron');\nconst w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false } });\nw.loadURL('https://example.com');\n`,
    );
    expect(blockingFindings(runElectronegativity(insecure, join(dir, 'a.csv'))).length).toBeGreaterThan(0);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(main(['--input', insecure])).toBe(1);
      expect(main(['--input', join(import.meta.dirname, '../../../src-main/electron')])).toBe(0);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }, 180_000);
});
