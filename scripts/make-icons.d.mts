// Types for scripts/make-icons.mjs (imported by the icon tests).
export declare const ICO_SIZES: number[];
export declare const ICNS_TYPES: Array<[string, number]>;
export declare const PNG_SIZES: number[];
export declare function encodePng(size: number, rgba: Buffer): Buffer;
export declare function encodeIco(images: Array<{ size: number; png: Buffer }>): Buffer;
export declare function encodeIcns(entries: Array<{ type: string; png: Buffer }>): Buffer;
export declare function writeIcons(root: string): void;
