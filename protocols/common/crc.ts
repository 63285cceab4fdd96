/**
 * Named CRC algorithms (parameters as in the CRC catalogue).
 *
 * CRC-16/ARC, also called CRC-16/IBM: width 16, poly 0x8005 reflected (0xA001), init 0,
 * refin/refout true, xorout 0, check("123456789") = 0xBB3D. Used by Teltonika TCP packets
 * (teltonika.md §6) and Wialon IPS 2.0 (wialon-ips.md §11).
 */

const ARC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-16/ARC over `bytes[start, end)`. */
export function crc16arc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ ARC_TABLE[(crc ^ bytes[i]) & 0xff];
  return crc;
}

/** Teltonika's name for the same algorithm. */
export const crc16ibm = crc16arc;
