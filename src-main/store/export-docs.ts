// The export columns as Markdown (docs/export-columns.md is this output; a test keeps them equal).
import { COLUMNS } from './export';

export function exportColumnsMarkdown(): string {
  const sections = (['system', 'program', 'process'] as const).map((level) => {
    const rows = COLUMNS[level].map((column) => `| \`${column.name}\` | ${column.type} | ${column.unit || '–'} | ${column.description} |`);
    return [`## ${level} rows`, '', '| column | type | unit | meaning |', '|---|---|---|---|', ...rows].join('\n');
  });
  return [
    '# Export columns',
    '',
    '`allot export` (and Export in the History view) writes one row per time bucket: per process (default),',
    'per program (`--programs`) or for the whole system (`--system`), as CSV with a header line or as JSON Lines',
    'with these keys. Generated from `src-main/store/export.ts`; `test/main/store/export-docs.test.ts` keeps',
    'this file in step.',
    '',
    ...sections.flatMap((section) => [section, '']),
  ].join('\n');
}
