#!/usr/bin/env node
// Draws Allot's icon (a rounded tile with three allocation bars) at every size the packaging and
// tray need, as PNG, from this one description, and packs the Windows icon (assets/icon.ico, PNG
// entries 16..256) and the macOS icon (assets/icon.icns, PNG entries ic07..ic10 = 128..1024).
// Pure Node, no external tools. Run: node scripts/make-icons.mjs  (or npm run icons)
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CRC_TABLE = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(buf) {
  let c = -1;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
export function encodePng(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Coverage of a pixel by a shape, 4x4 supersampled, for smooth edges at small sizes. */
function draw(size, { tile, bars }) {
  const rgba = Buffer.alloc(size * size * 4);
  const radius = size * 0.22;
  const inTile = (x, y) => {
    const cx = Math.min(Math.max(x, radius), size - radius);
    const cy = Math.min(Math.max(y, radius), size - radius);
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
  };
  // Three bars of different heights: what Allot does, re-allocating shares.
  const barSpecs = [
    { x0: 0.2, x1: 0.36, top: 0.48 },
    { x0: 0.42, x1: 0.58, top: 0.22 },
    { x0: 0.64, x1: 0.8, top: 0.62 },
  ];
  const inBar = (x, y) => barSpecs.some((b) => x >= b.x0 * size && x <= b.x1 * size && y >= b.top * size && y <= 0.8 * size);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let tileHits = 0;
      let barHits = 0;
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          const x = px + (sx + 0.5) / 4;
          const y = py + (sy + 0.5) / 4;
          if (tile && inTile(x, y)) tileHits++;
          if (inBar(x, y)) barHits++;
        }
      }
      const i = (py * size + px) * 4;
      const barAlpha = barHits / 16;
      const tileAlpha = tileHits / 16;
      const base = tile ?? [0, 0, 0];
      const color = base.map((c, k) => Math.round(c * (1 - barAlpha) + bars[k] * barAlpha));
      rgba[i] = color[0];
      rgba[i + 1] = color[1];
      rgba[i + 2] = color[2];
      rgba[i + 3] = Math.round(255 * (tile ? Math.max(tileAlpha, barAlpha) : barAlpha));
    }
  }
  return encodePng(size, rgba);
}

/** ICO sizes (Windows shell uses 16, 24, 32, 48, 64 and 256). 256 is stored as 0 in the directory. */
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** ICNS types with PNG payloads and their pixel sizes. */
export const ICNS_TYPES = [
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
];
export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

/** ICONDIR + ICONDIRENTRY[] + PNG images (Vista+ reads PNG entries). */
export function encodeIco(images) {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    const e = 6 + 16 * i;
    header[e] = size >= 256 ? 0 : size;
    header[e + 1] = size >= 256 ? 0 : size;
    header[e + 2] = 0; // palette colours
    header[e + 3] = 0; // reserved
    header.writeUInt16LE(1, e + 4); // planes
    header.writeUInt16LE(32, e + 6); // bits per pixel
    header.writeUInt32LE(png.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((image) => image.png)]);
}

/** 'icns' + total length, then per entry: 4-char type, length including its 8-byte header, PNG data. */
export function encodeIcns(entries) {
  const parts = entries.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

export function writeIcons(root) {
  mkdirSync(join(root, 'icons'), { recursive: true });
  const app = { tile: [47, 111, 222], bars: [255, 255, 255] };
  const pngs = new Map(PNG_SIZES.map((size) => [size, draw(size, app)]));
  for (const [size, png] of pngs) writeFileSync(join(root, 'icons', `${size}x${size}.png`), png);
  writeFileSync(join(root, 'icon.png'), pngs.get(512));
  writeFileSync(join(root, 'icon.ico'), encodeIco(ICO_SIZES.map((size) => ({ size, png: pngs.get(size) }))));
  writeFileSync(join(root, 'icon.icns'), encodeIcns(ICNS_TYPES.map(([type, size]) => ({ type, png: pngs.get(size) }))));
  // Tray: template-style glyphs, dark for light menus and light for dark menus.
  writeFileSync(join(root, 'tray.png'), draw(16, app));
  writeFileSync(join(root, 'tray@2x.png'), draw(32, app));
  writeFileSync(join(root, 'trayTemplate.png'), draw(16, { bars: [0, 0, 0] }));
  writeFileSync(join(root, 'trayTemplate@2x.png'), draw(32, { bars: [0, 0, 0] }));
  writeFileSync(join(root, 'tray-light.png'), draw(16, { bars: [240, 240, 240] }));
  writeFileSync(join(root, 'tray-light@2x.png'), draw(32, { bars: [240, 240, 240] }));
  // Dark glyph for light panels on Linux and Windows (the template images are for macOS only).
  writeFileSync(join(root, 'tray-dark.png'), draw(16, { bars: [24, 24, 24] }));
  writeFileSync(join(root, 'tray-dark@2x.png'), draw(32, { bars: [24, 24, 24] }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = process.argv[2] ? resolve(process.argv[2]) : join(import.meta.dirname, '..', 'assets');
  writeIcons(root);
  console.log(`icons written to ${root}`);
}
