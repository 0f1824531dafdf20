#!/usr/bin/env node
// npm run lint:security: runs Electronegativity (Doyensec's Electron security checker) over the
// sources (src-main + src-shared + src-renderer, scanned as ONE app so its global checks see the
// main process's navigation and permission handlers) and, when built, over the built app (out/main,
// out/preload, out/renderer/index.html, again as one app), then fails (exit 1) on any HIGH-severity
// finding. MEDIUM/LOW findings are printed.
// Usage: node scripts/lint-security.mjs [--input dir ...] [--allow CHECK_NAME ...]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);

/**
 * Parse Electronegativity's CSV. It quotes fields but does not escape quotes inside them (a CSP sample
 * may hold `"`), so a quote opens a field only at its start and closes it only before `,`, a line end
 * or the end of the text; any other quote is literal.
 */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let fieldStart = true;
  const endField = () => {
    row.push(field.trim());
    field = '';
    fieldStart = true;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const next = text[i + 1];
    if (quoted) {
      if (c === '"' && next === '"') {
        field += '"';
        i++;
      } else if (c === '"' && (next === ',' || next === '\n' || next === '\r' || next === undefined)) quoted = false;
      else field += c;
      continue;
    }
    if (c === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
    } else if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && next === '\n') i++;
      endField();
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
    } else {
      if (c !== ' ' || field !== '') fieldStart = false;
      field += c;
    }
  }
  endField();
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

/** Findings as objects keyed by the CSV header (issue, severity, confidence, filename, location, ...). */
export function parseFindings(csv) {
  const [header, ...rows] = parseCsv(csv);
  if (!header || header[0] !== 'issue') throw new Error('unexpected Electronegativity output (no CSV header)');
  return rows.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}

/** The findings that fail the gate: HIGH severity, minus explicitly allowed checks. */
export function blockingFindings(findings, allowed = []) {
  return findings.filter((f) => f.severity.toUpperCase() === 'HIGH' && !allowed.includes(f.issue));
}

function electronVersion() {
  try {
    return require(join(root, 'node_modules', 'electron', 'package.json')).version;
  } catch {
    return undefined;
  }
}

export function runElectronegativity(input, outCsv) {
  const cli = require.resolve('@doyensec/electronegativity/dist/index.js');
  const version = electronVersion();
  const args = [cli, '-i', input, '-o', outCsv, '-r', '-v', 'false', ...(version ? ['-e', version] : [])];
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0 || !existsSync(outCsv)) {
    throw new Error(`electronegativity failed on ${input} (status ${result.status}): ${(result.stderr || result.stdout).slice(-2000)}`);
  }
  return parseFindings(readFileSync(outCsv, 'utf8'));
}

/** Copy the given repo paths into one directory so Electronegativity analyses them as one app. */
function stage(work, name, paths) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const path of paths) if (existsSync(join(root, path))) cpSync(join(root, path), join(dir, path), { recursive: true });
  return dir;
}

export function main(argv) {
  const inputs = [];
  const allowed = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--input' && argv[i + 1]) inputs.push(resolve(argv[++i]));
    else if (argv[i] === '--allow' && argv[i + 1]) allowed.push(argv[++i]);
  }
  const work = mkdtempSync(join(tmpdir(), 'allot-eneg-'));
  let blocking = [];
  try {
    if (inputs.length === 0) {
      inputs.push(stage(work, 'sources', ['src-main', 'src-shared', 'src-renderer']));
      if (existsSync(join(root, 'out', 'main'))) inputs.push(stage(work, 'built', ['out/main', 'out/preload', 'out/renderer/index.html']));
    }
    inputs.forEach((input, index) => {
      const findings = runElectronegativity(input, join(work, `${index}.csv`));
      const high = blockingFindings(findings, allowed);
      blocking = blocking.concat(high.map((f) => ({ ...f, input })));
      const counts = {};
      for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
      console.log(`${input}: ${findings.length} finding(s) ${JSON.stringify(counts)}`);
      for (const f of findings) console.log(`  ${f.severity.padEnd(8)} ${f.issue} ${f.filename}:${f.location} ${f.description}`);
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (blocking.length > 0) {
    console.error(`\nlint:security FAILED: ${blocking.length} HIGH finding(s):`);
    for (const f of blocking) console.error(`  ${f.issue} in ${f.input}/${f.filename}:${f.location} (${f.url})`);
    return 1;
  }
  console.log('\nlint:security passed: no HIGH findings');
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main(process.argv.slice(2));
}
