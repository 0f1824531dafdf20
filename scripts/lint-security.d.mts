// Types for scripts/lint-security.mjs (imported by its test).
export interface Finding {
  issue: string;
  severity: string;
  confidence: string;
  filename: string;
  location: string;
  sample: string;
  description: string;
  url: string;
}
export declare function parseCsv(text: string): string[][];
export declare function parseFindings(csv: string): Finding[];
export declare function blockingFindings(findings: Finding[], allowed?: string[]): Finding[];
export declare function runElectronegativity(input: string, outCsv: string): Finding[];
export declare function main(argv: string[]): number;
