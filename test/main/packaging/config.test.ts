// electron-builder.yml against electron-builder's own JSON schema (app-builder-lib/scheme.json), plus
// the facts the issue asks for: targets per OS, icons that exist, native parts unpacked, the helper
// and its polkit policy shipped, the fuse hook wired.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };

interface TargetEntry {
  target: string;
  arch?: string[];
}
interface BuilderConfig {
  appId: string;
  productName: string;
  fileAssociations?: unknown[];
  asarUnpack: string[];
  afterPack: string;
  files: string[];
  extraResources: Array<{ from: string; to: string }>;
  linux: { target: string[]; icon: string; extraResources: Array<{ from: string; to: string }> };
  deb: { afterInstall: string; afterRemove: string };
  rpm: { afterInstall: string; afterRemove: string };
  win: { target: TargetEntry[]; icon: string };
  nsis: { installerIcon: string };
  mac: { target: TargetEntry[]; icon: string; entitlements: string; entitlementsInherit: string };
}

export function loadBuilderConfig(): BuilderConfig {
  return yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
}

describe('electron-builder.yml', () => {
  const config = loadBuilderConfig();

  it("validates against electron-builder's JSON schema", () => {
    const schema = JSON.parse(readFileSync(join(root, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    const validate = ajv.compile(schema);
    const ok = validate(config);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check can fail: an unknown key and a wrong type are reported', () => {
    const schema = JSON.parse(readFileSync(join(root, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8')) as object;
    const validate = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
    expect(validate({ ...config, notAnOption: true })).toBe(false);
    expect(validate({ ...config, asarUnpack: 42 })).toBe(false);
  });

  it('names the app and builds AppImage/deb/rpm, NSIS, and dmg for x64 and arm64, with no file associations', () => {
    expect(config.appId).toBe('dev.allot.app');
    expect(config.productName).toBe('Allot');
    expect(config.linux.target).toEqual(['AppImage', 'deb', 'rpm']);
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['x64', 'arm64'] }]);
    expect(config.fileAssociations ?? []).toEqual([]);
  });

  it('unpacks libsql and koffi (and their per-platform prebuilt packages) from the asar', () => {
    for (const pattern of ['**/node_modules/libsql/**', '**/node_modules/@libsql/**', '**/node_modules/koffi/**', '**/node_modules/@koromix/**', '**/*.node']) {
      expect(config.asarUnpack).toContain(pattern);
    }
    // Every prebuilt koffi / libsql binary installed here matches an unpack pattern.
    const installed = [
      ...['@koromix', '@libsql'].flatMap((scope) =>
        existsSync(join(root, 'node_modules', scope)) ? require('node:fs').readdirSync(join(root, 'node_modules', scope)).map((name: string) => `node_modules/${scope}/${name}/x`) : [],
      ),
    ];
    expect(installed.length).toBeGreaterThan(0);
    for (const path of installed) {
      expect(config.asarUnpack.some((pattern) => path.startsWith(pattern.replace('**/', '').replace('/**', '')))).toBe(true);
    }
  });

  it('ships the helper and its polkit policy as extra resources, and the install scripts register it', () => {
    expect(config.extraResources).toContainEqual({ from: 'out/helper/allot-helper.cjs', to: 'helper/allot-helper.cjs' });
    expect(config.files).toContain('!out/helper/**');
    expect(config.linux.extraResources).toContainEqual({ from: 'build/linux/dev.allot.helper.policy', to: 'helper/dev.allot.helper.policy' });
    const policy = readFileSync(join(root, 'build/linux/dev.allot.helper.policy'), 'utf8');
    expect(policy).toContain('<allow_active>auth_admin_keep</allow_active>');
    expect(policy).toContain('<annotate key="org.freedesktop.policykit.exec.path">/opt/Allot/resources/helper/allot-helper.cjs</annotate>');
    const afterInstall = readFileSync(join(root, config.deb.afterInstall), 'utf8');
    expect(afterInstall).toContain('/usr/share/polkit-1/actions/dev.allot.helper.policy');
    expect(readFileSync(join(root, config.rpm.afterRemove), 'utf8')).toContain('rm -f /usr/share/polkit-1/actions/dev.allot.helper.policy');
  });

  it('wires the fuse hook and the files it needs', () => {
    expect(config.afterPack).toBe('build/after-pack.cjs');
    for (const file of [config.afterPack, config.mac.entitlements, config.mac.entitlementsInherit, config.deb.afterInstall, config.deb.afterRemove]) {
      expect(existsSync(join(root, file)), file).toBe(true);
    }
  });
});
