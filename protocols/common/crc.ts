/**
 * Named CRC algorithms (parameters as in the CRC catalogue).
 *
 * CRC-16/ARC, also called CRC-16/IBM: width 16, poly 0x8005 reflected (0xA001), init 0,
 * refin/refout true, xorout 0, check("123456789") = 0xBB3D. Used by Teltonika TCP packets
 * (teltonika.md §6) and Wialon IPS 2.0 (wialon-ips.md §11).
 *
 * Implemented slicing-by-8: eight independent table lookups per 8 bytes instead of one serial
 * chain per byte, about 3× faster on long frames (the CRC was ~40 % of Codec 8E decode time).
 * For a reflected 16-bit register c and bytes b0..b7:
 *   c' = T7[(c ^ b0) & 0xFF] ^ T6[((c >>> 8) ^ b1) & 0xFF] ^ T5[b2] ^ T4[b3] ^ T3[b4] ^ T2[b5] ^ T1[b6] ^ T0[b7]
 * where T0 is the classic byte table and Tk[x] is Tk-1[x] pushed through one more zero byte.
 */

const TABLES = (() => {
  const t = new Uint16Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[n] = c;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prev = t[(k - 1) * 256 + n];
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
})();

/** CRC-16/ARC over `bytes[start, end)`. */
export function crc16arc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLES;
  let crc = 0;
  let i = start;
  for (const stop = end - 7; i < stop; i += 8) {
    crc =
      t[1792 + ((crc ^ bytes[i]) & 0xff)] ^
      t[1536 + (((crc >>> 8) ^ bytes[i + 1]) & 0xff)] ^
      t[1280 + bytes[i + 2]] ^
      t[1024 + bytes[i + 3]] ^
      t[768 + bytes[i + 4]] ^
      t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^
      t[bytes[i + 7]];
  }
  for (; i < end; i++) crc = (crc >>> 8) ^ t[(crc ^ bytes[i]) & 0xff];
  return crc;
}

/** Teltonika's name for the same algorithm. */
export const crc16ibm = crc16arc;
