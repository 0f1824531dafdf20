/**
 * The layer rules of docs/architecture.md as data, and a checker that applies them to a list of
 * imports. `test/arch/layers.test.ts` feeds it every import of every source file (and, to prove
 * the checker bites, a few deliberately wrong ones).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** One import: the importing file and what it names, both as the source wrote them (repo-relative file). */
export interface ImportEdge {
  from: string;
  specifier: string;
}

/** What an import resolves to: a repo-relative path for relative imports, else the bare module name. */
export function resolveTarget(edge: ImportEdge): string {
  if (!edge.specifier.startsWith('.')) return edge.specifier;
  const joined = join(dirname(edge.from), edge.specifier);
  return joined.split(sep).join('/');
}

const IMPORT_RE =
  /(?:^|[\n;])\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every module specifier a TypeScript source names in an import, export-from, dynamic import or require. */
export function parseImports(source: string): string[] {
  const out: string[] = [];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  for (const m of code.matchAll(IMPORT_RE)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir + '/') || path.startsWith(dir + '.');
}

const isNodeBuiltin = (target: string) => target.startsWith('node:');

/** One rule: a description, the files it applies to, and a test that says whether an edge breaks it. */
interface Rule {
  name: string;
  applies(from: string): boolean;
  forbids(target: string, from: string): boolean;
}

/** Modules that need a DOM or a Node/Electron runtime: src-shared must name none of them. */
const IMPURE_PACKAGES = ['electron', 'react', 'react-dom', 'chart.js', 'zustand', 'koffi', 'libsql', 'ws', 'systeminformation', 'pidusage'];

export const RULES: Rule[] = [
  {
    name: 'src-shared imports nothing impure (no node:*, electron, DOM-only, src-main, src-renderer)',
    applies: (from) => under(from, 'src-shared'),
    forbids: (t) =>
      isNodeBuiltin(t) || IMPURE_PACKAGES.some((p) => t === p || t.startsWith(p + '/')) || under(t, 'src-main') || under(t, 'src-renderer'),
  },
  {
    name: 'engine imports only src-shared and itself (and zod)',
    applies: (from) => under(from, 'src-main/engine'),
    forbids: (t) => !(under(t, 'src-main/engine') || under(t, 'src-shared') || t === 'zod'),
  },
  {
    name: "'electron' only in src-main/electron, src-main/main.ts and src-main/preload.ts",
    applies: (from) => !(under(from, 'src-main/electron') || from === 'src-main/main.ts' || from === 'src-main/preload.ts'),
    forbids: (t) => t === 'electron' || t.startsWith('electron/'),
  },
  {
    name: 'the renderer never imports src-main',
    applies: (from) => under(from, 'src-renderer'),
    forbids: (t) => under(t, 'src-main') || isNodeBuiltin(t) || t === 'electron',
  },
  {
    name: 'src-main never imports src-renderer',
    applies: (from) => under(from, 'src-main'),
    forbids: (t) => under(t, 'src-renderer'),
  },
  {
    name: 'store does not import platform (the actuator in platform writes the journal in store, not the other way)',
    applies: (from) => under(from, 'src-main/store'),
    forbids: (t) => under(t, 'src-main/platform'),
  },
  {
    name: 'platform does not import helper (helper/ runs the platform adapters with privilege and wraps them: helper -> platform)',
    applies: (from) => under(from, 'src-main/platform'),
    forbids: (t) => under(t, 'src-main/helper'),
  },
  {
    name: 'monitor imports none of platform, store, core, agent, electron, tools',
    applies: (from) => under(from, 'src-main/monitor'),
    forbids: (t) => ['platform', 'store', 'core', 'agent', 'electron', 'tools'].some((d) => under(t, `src-main/${d}`)),
  },
  {
    name: 'core does not import agent',
    applies: (from) => under(from, 'src-main/core'),
    forbids: (t) => under(t, 'src-main/agent'),
  },
  {
    name: "the renderer's store does not import components or views",
    applies: (from) => under(from, 'src-renderer/store'),
    forbids: (t) => under(t, 'src-renderer/components') || under(t, 'src-renderer/views'),
  },
];

export interface Violation {
  rule: string;
  from: string;
  specifier: string;
}

/** The folder of src-main a path lives in (`core`, `platform`, ...; `index.ts` counts for its folder), or null. */
export function mainFolder(path: string): string | null {
  const m = /^src-main\/([^/.]+)(?:\/|$)/.exec(path);
  return m ? m[1]! : null;
}

const CYCLE_RULE = 'folders of src-main import each other one way only (no circle between two folders)';

/** The edges that break a rule, each with the rule it breaks; also every edge of a two-folder circle in src-main. */
export function checkLayers(edges: readonly ImportEdge[]): Violation[] {
  const out: Violation[] = [];
  const between = new Map<string, ImportEdge[]>();
  for (const edge of edges) {
    const target = resolveTarget(edge);
    for (const rule of RULES) {
      if (rule.applies(edge.from) && rule.forbids(target, edge.from)) out.push({ rule: rule.name, from: edge.from, specifier: edge.specifier });
    }
    const a = mainFolder(edge.from);
    const b = mainFolder(target);
    if (a && b && a !== b) {
      const key = `${a}>${b}`;
      if (!between.has(key)) between.set(key, []);
      between.get(key)!.push(edge);
    }
  }
  for (const [key, list] of between) {
    const [a, b] = key.split('>') as [string, string];
    if (a < b && between.has(`${b}>${a}`)) {
      for (const edge of [...list, ...between.get(`${b}>${a}`)!]) out.push({ rule: `${CYCLE_RULE}: ${a} <-> ${b}`, from: edge.from, specifier: edge.specifier });
    }
  }
  return out;
}

const SOURCE_ROOTS = ['src-shared', 'src-main', 'src-renderer'];

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (/\.(ts|tsx|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
}

/** Every import edge of every source file under the repository root. */
export function collectImports(repoRoot: string): ImportEdge[] {
  const files: string[] = [];
  for (const root of SOURCE_ROOTS) walk(resolve(repoRoot, root), files);
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const from = relative(repoRoot, file).split(sep).join('/');
    for (const specifier of parseImports(readFileSync(file, 'utf8'))) edges.push({ from, specifier });
  }
  return edges;
}
