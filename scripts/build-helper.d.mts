// Types for scripts/build-helper.mjs (imported by the helper tests).
export declare const DEFAULT_HELPER_OUT: string;
export declare const PACKAGED_KOFFI_PATHS: string[];
export declare function buildHelper(options?: { outFile?: string; koffiPaths?: string[] }): Promise<string>;
