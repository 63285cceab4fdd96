import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RowBinaryWriter, countRows, readRows, type Column } from './row-binary.ts';

/** The text a String written through beginString/endString holds. */
const text = (f: (w: RowBinaryWriter) => void): string => {
  const w = new RowBinaryWriter(4); // tiny, so every test also exercises growth
  const start = w.beginString();
  f(w);
  w.endString(start);
  return readRows(w.bytes(), [{ name: 's', type: 'String' }])[0][0] as string;
};

const ALL: Column[] = [
  { name: 'a', type: 'UInt8' },
  { name: 'b', type: 'UInt16' },
  { name: 'c', type: 'UInt32' },
  { name: 'd', type: 'Int64' },
  { name: 'e', type: 'UInt64' },
  { name: 'f', type: 'Float64' },
  { name: 'g', type: 'Date' },
  { name: 'h', type: 'String' },
  { name: 'i', type: 'Nullable(Float64)' },
  { name: 'j', type: 'Nullable(UInt16)' },
];

describe('RowBinaryWriter', () => {
  it('writes each type in ClickHouse RowBinary layout', () => {
    const w = new RowBinaryWriter(4);
    w.uint8(7);
    w.uint16(0xbeef);
    w.uint32(0xdeadbeef);
    w.int64(-5);
    w.int64(2 ** 53 - 1);
    w.float64(54.6872633);
    w.date(20393);
    w.string('ab');
    w.nullableFloat64(null);
    w.nullableUInt(12, 2);
    expect(w.bytes().toString('hex')).toBe(
      '07' + 'efbe' + 'efbeadde' + 'fbffffffffffffff' + 'ffffffffffff1f00' + Buffer.from(new Float64Array([54.6872633]).buffer).toString('hex') + 'a94f' + '026162' + '01' + '000c00',
    );
    expect(readRows(w.bytes(), ALL)).toEqual([[7, 0xbeef, 0xdeadbeef, -5, 2 ** 53 - 1, 54.6872633, 20393, 'ab', null, 12]]);
  });

  it('Nullable: NULL for null, non-finite numbers and integers the column cannot hold', () => {
    const w = new RowBinaryWriter(4);
    for (const v of [null, NaN, Infinity]) w.nullableFloat64(v);
    for (const v of [null, -1, 1.5, 65_536]) w.nullableUInt(v, 2);
    w.nullableUInt(255, 1);
    w.nullableUInt(2 ** 32 - 1, 4);
    expect(w.bytes().toString('hex')).toBe('010101' + '01010101' + '00ff' + '00ffffffff');
  });

  it('strings: UTF-8 with a LEB128 length, any byte kept (no escaping)', () => {
    for (const s of ['', 'a', 'Иван Петров', 'tab\tnl\nnul\u0000bs\\', 'x'.repeat(127), 'x'.repeat(128), 'ю'.repeat(9000), 'y'.repeat(20_000), 'z'.repeat(3_000_000)]) {
      const w = new RowBinaryWriter(4);
      w.string(s);
      w.uint8(9);
      expect(readRows(w.bytes(), [{ name: 's', type: 'String' }, { name: 'n', type: 'UInt8' }])).toEqual([[s, 9]]);
    }
    const w = new RowBinaryWriter(4);
    w.string('x'.repeat(200));
    expect([...w.bytes().subarray(0, 2)]).toEqual([0xc8, 0x01]);
  });

  it('a String built in place gets the right length whatever its size', () => {
    for (const n of [0, 1, 127, 128, 300, 16_383, 16_384, 100_000]) {
      expect(text((w) => w.ascii('q'.repeat(n)))).toBe('q'.repeat(n));
    }
    expect(text((w) => w.jsonString('say "hi"\n'))).toBe('"say \\"hi\\"\\n"');
    expect(text((w) => w.jsonString('fuel'))).toBe('"fuel"');
  });

  it('writes numbers as text that reads back as exactly the same double', () => {
    for (const v of [0, -0, 7, -7, 10, 123456789, 2 ** 53 - 1, -(2 ** 53 - 1), 54.6872633, -25.2588417, 0.1, -0.05, 1.5, 100.25, 0.0000001, 12.3456789, 1e21, 1.2345e-12, 2 ** 60, Number.MAX_VALUE, Number.MIN_VALUE]) {
      const t = text((w) => w.number(v));
      expect(Number(t), `${v} → ${t}`).toBe(v === 0 ? 0 : v);
    }
    expect(text((w) => w.number(54.6872633))).toBe('54.6872633');
    expect(text((w) => w.number(-0.05))).toBe('-0.05');
  });

  it('every double and every Teltonika coordinate survives the text round trip (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(Number(text((w) => w.number(v)))).toBe(Object.is(v, -0) ? 0 : v);
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -1_800_000_000, max: 1_800_000_000 }), (n) => {
        const v = n / 1e7;
        expect(Number(text((w) => w.number(v)))).toBe(v);
      }),
      { numRuns: 20_000 },
    );
  });

  it('every safe integer round-trips as Int64 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (v) => {
        const w = new RowBinaryWriter(4);
        w.int64(v);
        expect(w.bytes().readBigInt64LE(0)).toBe(BigInt(v));
      }),
      { numRuns: 20_000 },
    );
  });

  it('countRows counts rows and refuses a payload cut inside a row', () => {
    const w = new RowBinaryWriter(4);
    for (let i = 0; i < 3; i++) {
      w.string('dev');
      w.nullableFloat64(i === 1 ? null : i);
    }
    const cols: Column[] = [{ name: 's', type: 'String' }, { name: 'f', type: 'Nullable(Float64)' }];
    expect(countRows(w.bytes(), cols)).toBe(3);
    expect(() => countRows(w.bytes().subarray(0, w.len - 1), cols)).toThrow(/row 3/);
  });
});
