import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { exportColumnsMarkdown } from '../../../src-main/store/export-docs';
import { COLUMNS } from '../../../src-main/store/export';

describe('export column documentation', () => {
  it('docs/export-columns.md lists exactly the columns the export writes', () => {
    const doc = readFileSync(new URL('../../../docs/export-columns.md', import.meta.url), 'utf8');
    expect(doc).toBe(exportColumnsMarkdown());
    for (const level of ['system', 'program', 'process'] as const) {
      for (const column of COLUMNS[level]) expect(doc).toContain(`\`${column.name}\``);
    }
  });
});
