#!/usr/bin/env node
// Bundles the privileged helper (src-main/helper/main.ts) into ONE CommonJS file with a
// `#!/usr/bin/env node` line, out/helper/allot-helper.cjs, shipped by electron-builder as an
// extraResource (resources/helper/allot-helper.cjs). Everything but koffi is bundled; koffi (a native
// N-API module) is loaded at run time from fixed paths next to the bundle, never from the environment
// (pkexec clears it anyway): resources/app.asar.unpacked/node_modules/koffi in a packaged app.
// Run: node scripts/build-helper.mjs [outFile]
import { build } from 'esbuild';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
export const DEFAULT_HELPER_OUT = join(root, 'out', 'helper', 'allot-helper.cjs');
/** Paths tried for koffi, relative to the bundle's directory: the packaged layout, then a dev checkout (out/helper). */
export const PACKAGED_KOFFI_PATHS = ['../app.asar.unpacked/node_modules/koffi', '../../node_modules/koffi'];

/**
 * @param {{ outFile?: string, koffiPaths?: string[] }} options  koffiPaths: absolute, or relative to the bundle's directory
 */
export async function buildHelper(options = {}) {
  const outFile = options.outFile ?? DEFAULT_HELPER_OUT;
  const koffiPaths = options.koffiPaths ?? PACKAGED_KOFFI_PATHS;
  mkdirSync(dirname(outFile), { recursive: true });
  const koffiShim = {
    name: 'koffi-from-fixed-paths',
    setup(b) {
      b.onResolve({ filter: /^koffi$/ }, () => ({ path: 'koffi', namespace: 'koffi-shim' }));
      b.onLoad({ filter: /.*/, namespace: 'koffi-shim' }, () => ({
        loader: 'js',
        contents: `
          const path = require('node:path');
          const candidates = ${JSON.stringify(koffiPaths)}.map((p) => path.resolve(__dirname, p));
          let loaded, lastError;
          for (const candidate of candidates) {
            try { loaded = require(candidate); break; } catch (error) { lastError = error; }
          }
          if (!loaded) throw new Error('allot-helper: koffi not found in ' + candidates.join(', ') + (lastError ? ': ' + lastError.message : ''));
          module.exports = loaded;`,
      }));
    },
  };
  await build({
    entryPoints: [join(root, 'src-main', 'helper', 'main.ts')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [koffiShim],
    logLevel: 'warning',
    // import.meta.url is only used for the ESM entry check, which the CJS branch short-circuits.
    define: { 'import.meta.url': '""' },
  });
  chmodSync(outFile, 0o755);
  return outFile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await buildHelper(process.argv[2] ? { outFile: resolve(process.argv[2]) } : {});
  console.log(`helper written to ${out}`);
}
