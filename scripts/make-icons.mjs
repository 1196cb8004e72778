// Draws resources/icon.png (512 px, electron-builder derives every platform icon from it) and
// resources/icons/ (window icon, tray dots per engine state) as PNGs: node scripts/make-icons.mjs resources
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { join } from 'node:path';

const out = process.argv[2];
const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
function chunk(type, data) { const len = Buffer.alloc(4); len.writeUInt32BE(data.length); const td = Buffer.concat([Buffer.from(type), data]); const c = Buffer.alloc(4); c.writeUInt32BE(crc(td)); return Buffer.concat([len, td, c]); }
function png(size, pixel) {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) { raw[y * (size * 4 + 1)] = 0; for (let x = 0; x < size; x++) { const [r, g, b, a] = pixel((x + 0.5) / size, (y + 0.5) / size, 1 / size); raw.set([r, g, b, Math.round(a * 255)], y * (size * 4 + 1) + 1 + x * 4); } }
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4); ihdr[8] = 8; ihdr[9] = 6;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}
const cover = (d, px) => Math.max(0, Math.min(1, 0.5 - d / px)); // signed distance → coverage
const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
function roundedSquare(x, y, r) { const qx = Math.abs(x - 0.5) - (0.5 - 0.04 - r), qy = Math.abs(y - 0.5) - (0.5 - 0.04 - r); return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r; }
// Two waves (the tide) over a gate post, white on teal.
function appIcon(x, y, px) {
  const bg = cover(roundedSquare(x, y, 0.18), px);
  const wave = (cy) => Math.abs(y - (cy + 0.045 * Math.sin((x - 0.2) * Math.PI * 4))) - 0.035;
  const inside = x > 0.18 && x < 0.82 ? 0 : 1;
  const w = Math.max(cover(wave(0.56), px), cover(wave(0.7), px)) * (1 - inside);
  const post = cover(Math.max(Math.abs(x - 0.5) - 0.05, Math.abs(y - 0.36) - 0.16), px);
  const fg = Math.max(w, post);
  const [r, g, b] = hex('#127a8a');
  return [Math.round(r + (255 - r) * fg), Math.round(g + (255 - g) * fg), Math.round(b + (255 - b) * fg), bg];
}
function dot(color) { const [r, g, b] = hex(color); return (x, y, px) => [r, g, b, cover(Math.hypot(x - 0.5, y - 0.5) - 0.42, px)]; }

mkdirSync(join(out, 'icons'), { recursive: true });
writeFileSync(join(out, 'icon.png'), png(512, appIcon));
writeFileSync(join(out, 'icons', 'app-256.png'), png(256, appIcon));
for (const [name, color] of Object.entries({ running: '#1f9d55', busy: '#d69e2e', failed: '#d64545', stopped: '#8a94a0' })) {
  writeFileSync(join(out, 'icons', `tray-${name}.png`), png(16, dot(color)));
  writeFileSync(join(out, 'icons', `tray-${name}@2x.png`), png(32, dot(color)));
}
