// The layers of docs/architecture.md, checked on every import of every source file (src-shared,
// src-main, src-renderer). The second block proves the checker bites: it is fed imports that break
// each rule and must name them.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { checkLayers, collectImports, parseImports, type ImportEdge } from './layers';

const root = join(import.meta.dirname, '..', '..');

describe('layers', () => {
  it('every import in the source tree goes the way docs/architecture.md says', () => {
    const edges = collectImports(root);
    expect(edges.length).toBeGreaterThan(500);
    const lines = checkLayers(edges).map((v) => `${v.from} imports '${v.specifier}': ${v.rule}`);
    expect(lines).toEqual([]);
  });
});

describe('the layer checker', () => {
  it('reads every kind of import and skips comments', () => {
    const source = [
      "import a from './a';",
      "import type { B } from '../b';",
      "import { c,\n  d } from \"c\";",
      "export { e } from './e';",
      "export * from './f';",
      "import './side-effect';",
      "const g = await import('./g');",
      "const h = require('h');",
      "// import x from 'electron';",
      "/* import y from 'node:fs'; */",
      "const s = 'import z from \"q\"';",
    ].join('\n');
    expect(parseImports(source)).toEqual(['./a', '../b', 'c', './e', './f', './side-effect', './g', 'h']);
  });

  const wrong: Array<[string, ImportEdge]> = [
    ['src-shared imports node:*', { from: 'src-shared/format.ts', specifier: 'node:fs' }],
    ['src-shared imports electron', { from: 'src-shared/format.ts', specifier: 'electron' }],
    ['src-shared imports a DOM library', { from: 'src-shared/format.ts', specifier: 'react' }],
    ['src-shared imports src-main', { from: 'src-shared/format.ts', specifier: '../src-main/store/db' }],
    ['engine imports core', { from: 'src-main/engine/simulator.ts', specifier: '../core/pipeline' }],
    ['engine imports store', { from: 'src-main/engine/forecast/selector.ts', specifier: '../../store/history' }],
    ['engine imports node:*', { from: 'src-main/engine/engine.ts', specifier: 'node:fs' }],
    ['core imports electron', { from: 'src-main/core/service.ts', specifier: 'electron' }],
    ['the renderer imports src-main', { from: 'src-renderer/views/EngineView.tsx', specifier: '../../src-main/engine/engine' }],
    ['store imports platform', { from: 'src-main/store/journal.ts', specifier: '../platform/actuator' }],
    ['platform imports helper', { from: 'src-main/platform/actuator.ts', specifier: '../helper/client' }],
    ['core imports agent', { from: 'src-main/core/core-worker.ts', specifier: '../agent/server' }],
    ["the renderer's store imports components", { from: 'src-renderer/store/processes.ts', specifier: '../components/ProcessTable' }],
  ];
  it.each(wrong)('names a wrong import: %s', (_, edge) => {
    const violations = checkLayers([edge]);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations[0]).toMatchObject({ from: edge.from, specifier: edge.specifier });
  });

  it('names a circle between two src-main folders', () => {
    const edges: ImportEdge[] = [
      { from: 'src-main/monitor/index.ts', specifier: '../tools/simulate' },
      { from: 'src-main/tools/simulate.ts', specifier: '../monitor' },
    ];
    expect(checkLayers(edges).filter((v) => v.rule.includes('one way only')).map((v) => v.from).sort()).toEqual(['src-main/monitor/index.ts', 'src-main/tools/simulate.ts']);
  });

  it('lets the allowed directions pass', () => {
    const fine: ImportEdge[] = [
      { from: 'src-main/engine/simulator.ts', specifier: './forecast-bank' },
      { from: 'src-main/engine/simulator.ts', specifier: '../../src-shared/engine' },
      { from: 'src-main/electron/tray.ts', specifier: 'electron' },
      { from: 'src-main/main.ts', specifier: 'electron' },
      { from: 'src-main/platform/actuator.ts', specifier: '../store/journal' },
      { from: 'src-main/helper/elevated.ts', specifier: '../platform/guard' },
      { from: 'src-main/core/service.ts', specifier: '../platform/actuator' },
      { from: 'src-renderer/store/processes.ts', specifier: '../model/process-rows' },
      { from: 'src-renderer/views/RulesView.tsx', specifier: '../../src-shared/rules' },
    ];
    expect(checkLayers(fine)).toEqual([]);
  });
});
