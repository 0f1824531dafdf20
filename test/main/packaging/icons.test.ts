// Every icon the packaging config and the tray name exists, at the size it claims, and the Windows
// (.ico) and macOS (.icns) containers parse: header, entry count, entry sizes, PNG payloads.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as {
  linux: { icon: string };
  win: { icon: string };
  mac: { icon: string };
  nsis: { installerIcon: string; uninstallerIcon: string };
};
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
  expect(png.toString('ascii', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

export function parseIco(data: Buffer): Array<{ size: number; png: Buffer }> {
  if (data.readUInt16LE(0) !== 0 || data.readUInt16LE(2) !== 1) throw new Error('not an ICO header');
  const count = data.readUInt16LE(4);
  return Array.from({ length: count }, (_, i) => {
    const e = 6 + 16 * i;
    const size = data[e] === 0 ? 256 : data[e]!;
    const length = data.readUInt32LE(e + 8);
    const offset = data.readUInt32LE(e + 12);
    if (offset + length > data.length) throw new Error(`entry ${i} runs past the end`);
    return { size, png: data.subarray(offset, offset + length) };
  });
}

export function parseIcns(data: Buffer): Array<{ type: string; png: Buffer }> {
  if (data.toString('ascii', 0, 4) !== 'icns') throw new Error('not an ICNS header');
  if (data.readUInt32BE(4) !== data.length) throw new Error('ICNS length does not match the file');
  const entries: Array<{ type: string; png: Buffer }> = [];
  for (let offset = 8; offset < data.length; ) {
    const type = data.toString('ascii', offset, offset + 4);
    const length = data.readUInt32BE(offset + 4);
    if (length < 8 || offset + length > data.length) throw new Error(`bad ICNS entry ${type}`);
    entries.push({ type, png: data.subarray(offset + 8, offset + length) });
    offset += length;
  }
  return entries;
}

describe('icons', () => {
  it('has the Linux PNG set in every size, each PNG really that size', () => {
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
      const path = join(root, config.linux.icon, `${size}x${size}.png`);
      expect(existsSync(path), path).toBe(true);
      expect(pngSize(readFileSync(path))).toEqual({ width: size, height: size });
    }
  });

  it('the Windows .ico parses: 7 PNG entries 16..256 whose directory sizes match the images', () => {
    for (const file of [config.win.icon, config.nsis.installerIcon, config.nsis.uninstallerIcon]) expect(file).toBe('assets/icon.ico');
    const entries = parseIco(readFileSync(join(root, config.win.icon)));
    expect(entries.map((e) => e.size)).toEqual([16, 24, 32, 48, 64, 128, 256]);
    for (const entry of entries) expect(pngSize(entry.png)).toEqual({ width: entry.size, height: entry.size });
  });

  it('the macOS .icns parses: ic07..ic10 PNG entries of 128, 256, 512 and 1024 pixels', () => {
    const entries = parseIcns(readFileSync(join(root, config.mac.icon)));
    expect(entries.map((e) => e.type)).toEqual(['ic07', 'ic08', 'ic09', 'ic10']);
    expect(entries.map((e) => pngSize(e.png).width)).toEqual([128, 256, 512, 1024]);
  });

  it('has tray icons for light and dark themes (and the macOS template), at 1x and 2x', () => {
    for (const name of ['tray', 'trayTemplate', 'tray-light', 'tray-dark']) {
      expect(pngSize(readFileSync(join(root, 'assets', `${name}.png`)))).toEqual({ width: 16, height: 16 });
      expect(pngSize(readFileSync(join(root, 'assets', `${name}@2x.png`)))).toEqual({ width: 32, height: 32 });
    }
  });

  it('the parsers reject a corrupt file', () => {
    expect(() => parseIco(Buffer.from([0, 0, 2, 0, 0, 0]))).toThrow(/ICO/);
    const icns = Buffer.from(readFileSync(join(root, config.mac.icon)));
    icns.writeUInt32BE(icns.length + 1, 4);
    expect(() => parseIcns(icns)).toThrow(/length/);
  });

  it('the generator is deterministic: regenerating writes the same bytes as the committed assets', async () => {
    const out = mkdtempSync(join(tmpdir(), 'allot-icons-'));
    const { writeIcons } = await import('../../../scripts/make-icons.mjs');
    writeIcons(out);
    for (const file of ['icon.ico', 'icon.icns', 'icon.png', 'tray-dark.png', 'icons/48x48.png']) {
      expect(readFileSync(join(out, file)).equals(readFileSync(join(root, 'assets', file))), file).toBe(true);
    }
  });
});
