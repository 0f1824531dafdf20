// koffi, loaded one way for every OS binding. Bindings for Windows and macOS import it lazily (a
// missing or broken native module then fails only the feature that needs it, with the reason), and
// the ESM/CJS interop of the package puts the API on `default` in some loaders and not in others.
import type * as Koffi from 'koffi';

export type KoffiApi = typeof Koffi;
/** A loaded shared library (`koffi.load()`'s result). */
export type NativeLibrary = ReturnType<KoffiApi['load']>;
/** A bound function (`lib.func()`'s result). */
export type NativeFunction = ReturnType<NativeLibrary['func']>;

let cached: Promise<KoffiApi> | undefined;

/** The koffi module, imported once on first use. */
export function importKoffi(): Promise<KoffiApi> {
  cached ??= import('koffi').then((imported) => {
    const module = imported as KoffiApi & { default?: KoffiApi };
    return module.default ?? module;
  });
  return cached;
}
