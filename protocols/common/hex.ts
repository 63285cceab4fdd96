/** Hex helpers for logs, the decode CLI and test vectors. */

/** Parses hex, tolerating whitespace, `0x` prefixes and `:`/`-` separators. Throws on odd/invalid. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/0x/gi, '').replace(/[\s:\-]/g, '');
  if (clean.length % 2 !== 0) throw new Error(`hex has an odd number of digits (${clean.length})`);
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new Error('hex contains characters other than 0-9 a-f');
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

export function toHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('hex').toUpperCase();
}
