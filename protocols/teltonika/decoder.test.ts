import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16ibm } from '../common/crc.ts';
import { PROTOCOL_ERROR_CODES } from '../common/errors.ts';
import { fromHex, toHex } from '../common/hex.ts';
import { decodeTcpPacket, tcpAck } from './decoder.ts';
import { encodeAvlData, encodeAvlPacket, encodeTcpFrame } from './encoder.ts';
import { createTcpFramer } from './framer.ts';
import { codecArb, mutate, mutationArb, packetCaseArb, recordSpecArb, reframe, streamArb } from './testing/arbitraries.ts';
import { IMEI, RECEIVED_AT } from './testing/expand.ts';
import { concat, specToInput, withFixedCrc } from './testing/spec.ts';

const ctx = { deviceId: IMEI, receivedAt: RECEIVED_AT };

// teltonika.md §12 E2 (Codec 8, 1 record, 66 bytes): the base every damaged packet below starts from.
const E2 = fromHex(
  '000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF',
);
// Offsets inside E2: 8 codec, 9 N1, 10.. record (34 event id, 35 N, 36 N1 count), 61 N2, 62..65 CRC.
const data = (packet: Uint8Array) => packet.slice(8, packet.length - 4);
const edit = (packet: Uint8Array, edits: Record<number, number>) => {
  const b = packet.slice();
  for (const [at, v] of Object.entries(edits)) b[Number(at)] = v;
  return b;
};
const fixCrc = (b: Uint8Array) => withFixedCrc(b, crc16ibm);

describe('decodeTcpPacket errors (teltonika.md §11: no ack for any of them)', () => {
  const cases: { what: string; bytes: Uint8Array; code: string }[] = [
    { what: 'empty', bytes: new Uint8Array(0), code: 'FM_ERR_TRUNCATED' },
    { what: 'shorter than any packet', bytes: E2.subarray(0, 14), code: 'FM_ERR_TRUNCATED' },
    { what: 'one byte short of L + 12', bytes: E2.subarray(0, 65), code: 'FM_ERR_TRUNCATED' },
    { what: 'one byte more than L + 12', bytes: concat(E2, Uint8Array.of(0)), code: 'FM_ERR_LENGTH_MISMATCH' },
    { what: 'preamble not 00000000 (§3)', bytes: edit(E2, { 3: 1 }), code: 'FM_ERR_BAD_PREAMBLE' },
    { what: 'L below 3', bytes: fromHex('00000000000000020800000000000000'), code: 'FM_ERR_LENGTH_MISMATCH' },
    { what: 'CRC mismatch (§6, §11)', bytes: edit(E2, { 65: 0xce }), code: 'FM_ERR_CRC_MISMATCH' },
    { what: 'a flipped data bit is caught by the CRC', bytes: edit(E2, { 30: 0x10 }), code: 'FM_ERR_CRC_MISMATCH' },
    { what: 'CRC field upper half not 0000 (§3)', bytes: edit(E2, { 62: 0x01 }), code: 'FM_ERR_CRC_MISMATCH' },
    { what: 'N1 ≠ N2 (§11)', bytes: fixCrc(edit(E2, { 61: 2 })), code: 'FM_ERR_COUNT_MISMATCH' },
    { what: 'N1 = N2 = 2 but one record present: parse runs past N2 (§4.5)', bytes: fixCrc(edit(E2, { 9: 2, 61: 2 })), code: 'FM_ERR_TRUNCATED' },
    { what: 'N1 = N2 = 0', bytes: encodeTcpFrame(fromHex('080000')), code: 'FM_ERR_BAD_FIELD' },
    {
      what: 'bytes left between the last record and N2 (§4.5: must land exactly on N2)',
      bytes: encodeTcpFrame(concat(data(E2).subarray(0, data(E2).length - 1), Uint8Array.of(0xaa, 1))),
      code: 'FM_ERR_LENGTH_MISMATCH',
    },
    { what: 'an IO group count runs past N2', bytes: fixCrc(edit(E2, { 36: 0x30 })), code: 'FM_ERR_TRUNCATED' },
    { what: 'unknown codec 0x07 (§11: no ack, keep open)', bytes: fixCrc(edit(E2, { 8: 0x07 })), code: 'FM_ERR_UNKNOWN_CODEC' },
    { what: 'unknown codec 0xFF', bytes: fixCrc(edit(E2, { 8: 0xff })), code: 'FM_ERR_UNKNOWN_CODEC' },
    { what: 'Codec 13 (§11, §11.4)', bytes: fixCrc(edit(E2, { 8: 0x0d })), code: 'FM_ERR_UNSUPPORTED' },
    { what: 'Codec 14 (§11, §11.4)', bytes: fixCrc(edit(E2, { 8: 0x0e })), code: 'FM_ERR_UNSUPPORTED' },
    { what: 'Codec 8 data read as Codec 8E', bytes: fixCrc(edit(E2, { 8: 0x8e })), code: 'FM_ERR_TRUNCATED' },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const r = decodeTcpPacket(c.bytes, ctx);
      expect(r.ok ? 'ok' : r.error.code).toBe(c.code);
      expect(r.reply).toBeNull();
    });
  }
});

describe('decodeTcpPacket', () => {
  it('acks with the record count as u32 (§2 step 4)', () => {
    expect(toHex(tcpAck(1))).toBe('00000001');
    expect(toHex(tcpAck(255))).toBe('000000FF');
    expect(toHex(tcpAck(0x01020304))).toBe('01020304');
  });

  it('keeps records whose IO total N is wrong and warns (§4.5: a warning, not an error)', () => {
    const r = decodeTcpPacket(fixCrc(edit(E2, { 35: 9 })), ctx); // N: 5 → 9
    if (!r.ok || r.kind !== 'avl') throw new Error('must decode');
    expect(r.records[0].io).toHaveLength(5);
    expect(r.warnings).toEqual(['record 1: IO total N says 9, groups hold 5']);
    expect(toHex(r.reply)).toBe('00000001');
  });

  it('decodes a packet held in a view at an offset of a larger buffer', () => {
    const big = concat(fromHex('DEADBEEF'), E2, fromHex('CAFE'));
    const view = big.subarray(4, 4 + E2.length);
    expect(decodeTcpPacket(view, ctx)).toStrictEqual(decodeTcpPacket(E2, ctx));
  });

  it('decodes 255 records (the N1 maximum, §10)', () => {
    const records = Array.from({ length: 255 }, (_, i) => ({ deviceTime: 1_600_000_000_000 + i, satellites: 7, io: [{ id: 78, value: BigInt(i) }] }));
    const r = decodeTcpPacket(encodeAvlPacket(0x8e, records), ctx);
    if (!r.ok || r.kind !== 'avl') throw new Error('must decode');
    expect(r.records.map((x) => x.deviceTime)).toEqual(records.map((x) => x.deviceTime));
    expect(r.records[254].io).toStrictEqual([{ id: 78, value: 254n }]);
    expect(toHex(r.reply)).toBe('000000FF');
  });

  it('gives every record the same property order (one hidden class for the hot path)', () => {
    for (const codec of [0x08, 0x8e, 0x10] as const) {
      const r = decodeTcpPacket(encodeAvlPacket(codec, [{ deviceTime: 1 }, { deviceTime: 2, eventId: 3, satellites: 4 }]), ctx);
      if (!r.ok || r.kind !== 'avl') throw new Error('must decode');
      for (const rec of r.records) {
        expect(Object.keys(rec)).toEqual([
          'protocol', 'deviceId', 'deviceTime', 'receivedAt', 'latitude', 'longitude', 'altitude', 'speed', 'course',
          'satellites', 'hdop', 'valid', 'priority', 'eventId', 'io', 'archive', 'extras',
        ]);
      }
    }
  });

  it('property: a wrong IO total N on any record of any codec is kept and warned about, exactly (§4.5)', () => {
    fc.assert(
      fc.property(packetCaseArb(4), fc.nat(), fc.integer({ min: 0, max: 255 }), ({ codec, records }, pick, total) => {
        const at = pick % records.length;
        const inputs = records.map(specToInput);
        inputs[at] = { ...inputs[at], ioTotal: total };
        const r = decodeTcpPacket(encodeAvlPacket(codec, inputs), ctx);
        if (!r.ok || r.kind !== 'avl') throw new Error('must decode');
        const actual = records[at].io.length;
        expect(r.warnings).toStrictEqual(total === actual ? undefined : [`record ${at + 1}: IO total N says ${total}, groups hold ${actual}`]);
        expect(r.records.map((x) => x.io.length)).toEqual(records.map((s) => s.io.length));
      }),
      { numRuns: 300 },
    );
  });

  it('a record cut anywhere inside any IO group of any codec is FM_ERR_TRUNCATED', () => {
    const groups: { size: 1 | 2 | 4 | 8 | 'X'; value: number | bigint | Uint8Array }[] = [
      { size: 1, value: 1 }, { size: 2, value: 2 }, { size: 4, value: 4 }, { size: 8, value: 8n }, { size: 'X', value: Uint8Array.of(1, 2, 3) },
    ];
    for (const codec of [0x08, 0x8e, 0x10] as const) {
      for (const g of groups) {
        if (g.size === 'X' && codec !== 0x8e) continue;
        const io = Array.from({ length: 10 }, (_, id) => ({ id, value: g.value, size: g.size }));
        const full = encodeAvlData(codec, [{ deviceTime: 1, io }]);
        for (let cut = 1; cut < full.length - 3 - 24; cut++) {
          const shorter = concat(full.subarray(0, full.length - 1 - cut), full.subarray(full.length - 1));
          const r = decodeTcpPacket(encodeTcpFrame(shorter), ctx);
          expect(r.ok ? 'ok' : r.error.code, `codec ${codec}, ${g.size}-byte group, cut ${cut}`).toBe('FM_ERR_TRUNCATED');
        }
      }
    }
  });

  it('a Codec 8E NX count larger than the bytes behind it fails before anything is sized from it', () => {
    // One record, no fixed IO, NX count 0xFFFF and no NX bytes.
    const records = encodeAvlData(0x8e, [{ deviceTime: 1 }]);
    records[records.length - 3] = 0xff;
    records[records.length - 2] = 0xff;
    const r = decodeTcpPacket(encodeTcpFrame(records), ctx);
    expect(r.ok ? 'ok' : r.error.code).toBe('FM_ERR_TRUNCATED');
  });

  it('property: a last record cut short (L and CRC restamped) is FM_ERR_TRUNCATED, for every codec and cut', () => {
    // Big groups, so that a bound check that is off by one element per value still lets the parse run past N2.
    const packet = codecArb.chain((codec) =>
      fc.tuple(fc.constant(codec), fc.array(recordSpecArb(codec, 12), { minLength: 1, maxLength: 2 }), fc.nat()),
    );
    fc.assert(
      fc.property(packet, ([codec, records, pick]) => {
        const full = encodeAvlData(codec, records.map(specToInput));
        const lastLength = encodeAvlData(codec, [specToInput(records[records.length - 1])]).length - 3;
        const cut = 1 + (pick % lastLength); // 1 byte … the whole last record
        const shorter = concat(full.subarray(0, full.length - 1 - cut), full.subarray(full.length - 1));
        const r = decodeTcpPacket(encodeTcpFrame(shorter), ctx);
        expect(r.ok ? 'ok' : r.error.code).toBe('FM_ERR_TRUNCATED');
      }),
      { numRuns: 300 },
    );
  });

  it('property: any codec id and any data field with a correct CRC gives a typed result, never a throw', () => {
    const anyData = fc.tuple(fc.constantFrom(0x08, 0x8e, 0x10, 0x0c, 0x0d, 0x07, 0x00), fc.uint8Array({ minLength: 2, maxLength: 300 }));
    fc.assert(
      fc.property(anyData, ([codec, body]) => {
        const r = decodeTcpPacket(encodeTcpFrame(concat(Uint8Array.of(codec), body)), ctx);
        if (r.ok) {
          if (r.kind === 'avl') expect(r.reply).toStrictEqual(tcpAck(r.records.length));
          else expect(r.reply).toBeNull();
        } else {
          expect(PROTOCOL_ERROR_CODES).toContain(r.error.code);
          expect(r.reply).toBeNull();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property: mutated valid packets (CRC restamped or not) never throw and give typed results', () => {
    const packet = packetCaseArb(3).map((p) => encodeAvlPacket(p.codec, p.records.map(specToInput)));
    fc.assert(
      fc.property(packet, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (p, mutations, restamp) => {
        const damaged = mutate(p, mutations);
        const bytes = restamp ? reframe(damaged) : damaged;
        const r = decodeTcpPacket(bytes, ctx);
        if (r.ok) {
          expect(r.kind).toBe('avl');
          if (r.kind === 'avl') {
            expect(r.records.length).toBe(bytes[9]);
            expect(r.reply).toStrictEqual(tcpAck(r.records.length));
          }
        } else {
          expect(PROTOCOL_ERROR_CODES).toContain(r.error.code);
          expect(r.reply).toBeNull();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property: mutated streams through framer and decoder never throw', () => {
    fc.assert(
      fc.property(streamArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { maxLength: 6 }), ({ bytes }, mutations, cuts) => {
        const stream = mutate(concat(...bytes), mutations);
        const f = createTcpFramer();
        let offset = 0;
        for (const cut of [...cuts.map((c) => c % (stream.length + 1)).sort((a, b) => a - b), stream.length]) {
          for (const e of f.push(stream.subarray(offset, Math.max(offset, cut)))) {
            if (!e.ok) expect(PROTOCOL_ERROR_CODES).toContain(e.error.code);
            else if (e.frame.kind === 'packet') {
              const r = decodeTcpPacket(e.frame.bytes, ctx);
              if (!r.ok) expect(PROTOCOL_ERROR_CODES).toContain(r.error.code);
            }
          }
          offset = Math.max(offset, cut);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('encodeAvlData output is exactly the CRC-covered part of the packet (§6)', () => {
    const records = [{ deviceTime: 1_560_161_086_000, priority: 1, eventId: 1, io: [{ id: 21, value: 3 }] }];
    const packet = encodeAvlPacket(0x08, records);
    expect(toHex(encodeAvlData(0x08, records))).toBe(toHex(packet, 8, packet.length - 4));
    expect(new DataView(packet.buffer).getUint32(packet.length - 4)).toBe(crc16ibm(packet, 8, packet.length - 4));
  });
});
