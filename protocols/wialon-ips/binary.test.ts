import { describe, expect, it } from 'vitest';
import { BINARY_SIZE_FIELD, indexOfCrlf, splitBinary } from './binary.ts';

const te = new TextEncoder();

describe('binary-follows packets (§4.2)', () => {
  it('which packets carry a binary block, and which header field holds its size', () => {
    expect([...BINARY_SIZE_FIELD]).toEqual([
      ['I', 0], // #I#sz;ind;count;…
      ['T', 1], // #T#Code;Sz;Ind;CRC
      ['US', 0], // #US#sz[;CRC]
      ['UC', 0],
    ]);
    expect(BINARY_SIZE_FIELD.get('toString')).toBeUndefined();
  });
  it('indexOfCrlf finds the first \\r\\n, skipping lone CRs', () => {
    expect(indexOfCrlf(te.encode('ab\rc\r\nd\r\n'), 0)).toBe(4);
    expect(indexOfCrlf(te.encode('ab\r\n'), 3)).toBe(-1);
    expect(indexOfCrlf(te.encode('ab\r'), 0)).toBe(-1);
    expect(indexOfCrlf(new Uint8Array(0), 0)).toBe(-1);
  });
  it('splitBinary: header end and a copy of the bytes after the first \\r\\n (which may hold \\r\\n)', () => {
    const p = te.encode('#I#4;0;0;NA;NA;x\r\n\r\n\r\n');
    const { headerEnd, data } = splitBinary(p, 3);
    expect(headerEnd).toBe(16);
    expect(data).toEqual(te.encode('\r\n\r\n'));
    data![0] = 0;
    expect(p[18]).toBe(0x0d); // a copy, not a view
    expect(splitBinary(te.encode('#I#4;0'), 3)).toEqual({ headerEnd: 6, data: null });
  });
});
