/**
 * Property tests (fast-check): random valid packets of every type → encode → decode gives back
 * exactly what was encoded; any split of a stream gives the same frames; random and mutated bytes
 * never throw; a corrupted v2.0 packet is never accepted with different data; the byte scanner
 * (scan.ts) accepts only what the text path accepts, and reads it to the same record.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCoordinate } from './coords.ts';
import { bodyToRecord, parseDataBody } from './data.ts';
import { WIALON_MAX_TIME, WIALON_MIN_TIME } from './datetime.ts';
import { decodePacket } from './decoder.ts';
import {
  encodeBlackBox,
  encodeCompressed,
  encodeData,
  encodeDddBlock,
  encodeDddInfo,
  encodeImage,
  encodeLogin,
  encodeMessage,
  encodePing,
  encodeUdp,
  formatBody,
} from './encoder.ts';
import { utf8 } from './fields.ts';
import { createTcpFramer, frameAll } from './framer.ts';
import { scanBody, scannedEnd, WIALON_EXTRAS } from './scan.ts';
import type { WialonDataBody, WialonExtendedData, WialonParam, WialonShortData, WialonVersion } from './model.ts';
import { decodeUdpDatagram } from './udp.ts';
import { eventKey, frameInPieces } from './vectors.test-helper.ts';

/** Modest by default; FM_PROPERTY_RUNS=20000 for a deep run. */
const RUNS = { numRuns: Number(process.env.FM_PROPERTY_RUNS ?? 300) };
const noNegZero = (v: number) => (v === 0 ? 0 : v);

const version = fc.constantFrom<WialonVersion>('1.1', '2.0');
const time = fc.option(fc.integer({ min: WIALON_MIN_TIME, max: WIALON_MAX_TIME }), { nil: null });
const finite = (min: number, max: number) => fc.double({ min, max, noNaN: true }).map(noNegZero);

/** A coordinate as the wire carries it (degrees + 4-decimal minutes), converted as the decoder does. */
function coordinate(axis: 'lat' | 'lon') {
  const maxDeg = axis === 'lat' ? 89 : 179;
  return fc.option(
    fc.tuple(fc.integer({ min: 0, max: maxDeg }), fc.integer({ min: 0, max: 599_999 }), fc.boolean()).map(([d, units, neg]) => {
      const text = String(d).padStart(axis === 'lat' ? 2 : 3, '0') + String(Math.trunc(units / 10_000)).padStart(2, '0') + '.' + String(units % 10_000).padStart(4, '0');
      return parseCoordinate(text, axis === 'lat' ? (neg ? 'S' : 'N') : neg ? 'W' : 'E', axis) as number;
    }),
    { nil: null },
  );
}

const shortData: fc.Arbitrary<WialonShortData> = fc.record({
  kind: fc.constant('SD' as const),
  time,
  latitude: coordinate('lat'),
  longitude: coordinate('lon'),
  speed: fc.option(finite(0, 2000), { nil: null }),
  course: fc.option(finite(0, 360), { nil: null }),
  altitude: fc.option(finite(-1e4, 1e5), { nil: null }),
  satellites: fc.option(fc.nat(64), { nil: null }),
});

/** Free text without the packet's separators; Cyrillic, `:`, spaces and `#` included. */
const freeText = (forbidden: RegExp) =>
  fc.string({ unit: fc.oneof(fc.constantFrom(...'aZ09 :#.-%_ЖжБатарея€'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 24 }).map((s) => s.replace(forbidden, '_'));

const paramName = fc.string({ unit: fc.constantFrom(...'abcdxyz_.0159АБВабвЖж'), minLength: 1, maxLength: 38 });
const int64 = fc.oneof(
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 63n), max: -(2n ** 53n) }),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 63n - 1n }),
);
const param: fc.Arbitrary<WialonParam> = fc.oneof(
  fc.record({ name: paramName, type: fc.constant(1 as const), value: int64 }),
  fc.record({ name: paramName, type: fc.constant(2 as const), value: fc.double({ noNaN: true, noDefaultInfinity: true }).map(noNegZero) }),
  fc.record({ name: paramName, type: fc.constant(3 as const), value: freeText(/[,;|\r\n]/g) }),
);
const bitmask = fc.option(fc.oneof(fc.nat(), fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n })), { nil: null });

const extendedData: fc.Arbitrary<WialonExtendedData> = fc
  .record({
    fix: shortData,
    hdop: fc.option(finite(0, 100), { nil: null }),
    inputs: bitmask,
    outputs: bitmask,
    adc: fc.array(fc.option(finite(-1e6, 1e6), { nil: null }), { maxLength: 8 }).filter((a) => !(a.length === 1 && a[0] === null)),
    ibutton: fc.option(freeText(/[;|\r\n]/g).filter((s) => s !== '' && s !== 'NA'), { nil: null }),
    params: fc.array(param, { maxLength: 10 }),
  })
  .map(({ fix, ...rest }) => ({ ...fix, kind: 'D' as const, ...rest }));

const body: fc.Arbitrary<WialonDataBody> = fc.oneof(shortData, extendedData);
const deviceId = freeText(/[;|#\r\n]/g).filter((s) => s !== '' && s !== 'NA' && !s.includes('.'));
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

function frameOf(wire: Uint8Array): Uint8Array {
  const events = frameAll(wire);
  expect(events).toHaveLength(1);
  const ev = events[0];
  if (!ev.ok) throw new Error(ev.error.message);
  return ev.frame;
}

describe('encode → decode gives back what was encoded', () => {
  it('SD and D bodies', () => {
    fc.assert(
      fc.property(body, (b) => {
        expect(parseDataBody(formatBody(b))).toEqual({ ok: true, body: b, dropped: [] });
      }),
      RUNS,
    );
  });

  it('SD / D packets, both versions, as records', () => {
    fc.assert(
      fc.property(version, body, fc.nat(), (v, b, receivedAt) => {
        const r = decodePacket(frameOf(encodeData(v, b)), { deviceId: 'dev', version: v }, receivedAt);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.type).toBe(b.kind);
        expect(r.records).toEqual([bodyToRecord(b, { deviceId: 'dev', version: v, receivedAt, packetType: b.kind, archive: false })]);
      }),
      RUNS,
    );
  });

  it('black box of 0–20 mixed bodies, both versions', () => {
    fc.assert(
      fc.property(version, fc.array(body, { maxLength: 20 }), (v, bodies) => {
        const r = decodePacket(encodeBlackBox(v, bodies).subarray(0, -2), { deviceId: 'dev', version: v }, 1);
        const expected = bodies.map((b) => bodyToRecord(b, { deviceId: 'dev', version: v, receivedAt: 1, packetType: 'B', archive: true }));
        expect(r).toEqual({ ok: true, type: 'B', records: expected, reply: new TextEncoder().encode(`#AB#${bodies.length}\r\n`) });
      }),
      { numRuns: Math.ceil(RUNS.numRuns / 2) },
    );
  });

  it('login', () => {
    fc.assert(
      fc.property(version, deviceId, fc.option(freeText(/[;\r\n]/g).filter((s) => s !== '' && s !== 'NA'), { nil: null }), (v, id, pw) => {
        const r = decodePacket(frameOf(encodeLogin(v, id, pw)), { deviceId: null, version: null }, 0);
        expect(r).toEqual({ ok: true, type: 'L', login: { deviceId: id, password: pw, version: v }, records: [], reply: null });
      }),
      RUNS,
    );
  });

  it('driver message', () => {
    fc.assert(
      fc.property(version, freeText(/[\r\n]/g), (v, text) => {
        const r = decodePacket(frameOf(encodeMessage(v, text)), { deviceId: 'd', version: v }, 0);
        expect(r.ok && r.type === 'M' && r.text).toBe(text);
      }),
      RUNS,
    );
  });

  it('photo block', () => {
    const block = fc
      .record({ index: fc.nat(50), extra: fc.nat(3), time, name: freeText(/[;\r\n]/g), data: bytes(300) })
      .map(({ index, extra, ...rest }) => ({ index, lastIndex: index + extra, ...rest }));
    fc.assert(
      fc.property(version, block, (v, b) => {
        const r = decodePacket(frameOf(encodeImage(v, b)), { deviceId: 'd', version: v }, 0);
        expect(r.ok && r.type === 'I' && r.image).toEqual(b);
      }),
      RUNS,
    );
  });

  it('DDD info and block (v2.0)', () => {
    const info = fc.record({ time, driverId: freeText(/[;\r\n]/g), code: freeText(/[;\r\n]/g), count: fc.nat(1000) });
    const block = fc.record({ code: freeText(/[;\r\n]/g), index: fc.nat(1000), data: bytes(300) });
    fc.assert(
      fc.property(info, block, (i, b) => {
        const ri = decodePacket(frameOf(encodeDddInfo(i)), { deviceId: 'd', version: '2.0' }, 0);
        expect(ri.ok && ri.type === 'IT' && ri.ddd).toEqual(i);
        const rb = decodePacket(frameOf(encodeDddBlock(b)), { deviceId: 'd', version: '2.0' }, 0);
        expect(rb.ok && rb.type === 'T' && rb.ddd).toEqual(b);
      }),
      RUNS,
    );
  });

  it('UDP form, plain and compressed', () => {
    fc.assert(
      fc.property(version, deviceId, body, fc.boolean(), (v, id, b, compress) => {
        const datagram = encodeUdp(v, id, encodeData(v, b));
        const r = decodeUdpDatagram(compress ? encodeCompressed(datagram) : datagram, 3);
        expect(r.ok && r.deviceId).toBe(id);
        expect(r.ok && r.records).toEqual([bodyToRecord(b, { deviceId: id, version: v, receivedAt: 3, packetType: b.kind, archive: false })]);
      }),
      RUNS,
    );
  });
});

/** A stream of random packets of every kind, with the frame each one must produce. */
const streamPart: fc.Arbitrary<{ wire: Uint8Array; frame: Uint8Array }> = fc.oneof(
  fc.tuple(version, body).map(([v, b]) => {
    const w = encodeData(v, b);
    return { wire: w, frame: w.subarray(0, -2) };
  }),
  fc.tuple(version, fc.array(body, { maxLength: 4 })).map(([v, bs]) => {
    const w = encodeBlackBox(v, bs);
    return { wire: w, frame: w.subarray(0, -2) };
  }),
  fc.constant(null).map(() => ({ wire: encodePing(), frame: encodePing().subarray(0, -2) })),
  fc.tuple(version, bytes(64)).map(([v, data]) => {
    const w = encodeImage(v, { index: 0, lastIndex: 0, time: null, name: 'x.jpg', data });
    return { wire: w, frame: w };
  }),
  fc.tuple(version, body, fc.boolean()).map(([v, b, raw]) => {
    const inner = encodeData(v, b);
    return { wire: encodeCompressed(inner, { raw }), frame: inner.subarray(0, -2) };
  }),
);

describe('framing', () => {
  it('any split of a stream yields the same frames, and exactly the packets sent', () => {
    fc.assert(
      fc.property(fc.array(streamPart, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (parts, rawCuts) => {
        const stream = new Uint8Array(parts.reduce((n, p) => n + p.wire.length, 0));
        let at = 0;
        for (const p of parts) {
          stream.set(p.wire, at);
          at += p.wire.length;
        }
        const whole = frameInPieces(stream, []);
        expect(whole).toEqual(parts.map((p) => eventKey({ ok: true, frame: p.frame })));
        const cuts = [...new Set(rawCuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        expect(frameInPieces(stream, cuts)).toEqual(whole);
      }),
      RUNS,
    );
  });

  it('random bytes in random chunks never throw, never hold more than maxFrameSize (+1 CR)', () => {
    const alphabet = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x23, 0x0d, 0x0a, 0xff, 0x3b, 0x49, 0x53, 0x44));
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }).chain((a) => fc.array(alphabet, { maxLength: a.length }).map((x) => Uint8Array.from(x))), { maxLength: 10 }), (chunks) => {
        const f = createTcpFramer({ maxFrameSize: 128 });
        for (const c of chunks) {
          for (const ev of f.push(c)) if (ev.ok) expect(ev.frame.length).toBeLessThanOrEqual(128);
          expect(f.buffered).toBeLessThanOrEqual(129);
        }
      }),
      RUNS,
    );
  });
});

describe('robustness', () => {
  it('random bytes never throw out of decodePacket or decodeUdpDatagram', () => {
    fc.assert(
      fc.property(bytes(200), fc.constantFrom<WialonVersion | null>(null, '1.1', '2.0'), (b, v) => {
        const state = { deviceId: v ? 'd' : null, version: v };
        expect(() => decodePacket(b, state, 0)).not.toThrow();
        expect(() => decodeUdpDatagram(b, 0)).not.toThrow();
      }),
      RUNS,
    );
  });

  it('mutated valid packets never throw; a corrupted v2.0 packet never yields different data', () => {
    const packet = fc.oneof(
      body.map((b) => ({ wire: encodeData('2.0', b) })),
      fc.array(body, { maxLength: 3 }).map((bs) => ({ wire: encodeBlackBox('2.0', bs) })),
      freeText(/[\r\n]/g).map((t) => ({ wire: encodeMessage('2.0', t) })),
    );
    fc.assert(
      fc.property(packet, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }), ({ wire }, flips) => {
        const frame = wire.slice(0, -2);
        const state = { deviceId: 'd', version: '2.0' as const };
        const original = decodePacket(frame, state, 0);
        const mutated = frame.slice();
        for (const [pos, x] of flips) mutated[pos % mutated.length] ^= x;
        let r!: ReturnType<typeof decodePacket>;
        expect(() => (r = decodePacket(mutated, state, 0))).not.toThrow();
        expect(() => decodeUdpDatagram(mutated, 0)).not.toThrow();
        expect(() => frameAll(mutated)).not.toThrow();
        // CRC-16 catches every error burst up to 16 bits: a single changed byte in the covered
        // text is always detected. Only the CRC token's letter case can change harmlessly.
        if (flips.length === 1 && r.ok && original.ok) {
          expect(r.records).toEqual(original.records);
          expect((r as { text?: string }).text).toEqual((original as { text?: string }).text);
        }
      }),
      RUNS,
    );
  });
});

describe('the byte scanner (scan.ts) and the text path (parseDataBody) agree', () => {
  // Bytes that change what a field means: digits, signs, separators, NA, hemispheres, exponents, UTF-8 pieces.
  const alphabet = [...'0123456789.-+;,:NAESWe x|'].map((c) => c.charCodeAt(0)).concat([0xd0, 0x96, 0xe2, 0x82, 0xac, 0xff, 0xc0]);
  const edit = fc.tuple(fc.constantFrom('set', 'insert', 'delete'), fc.nat(), fc.constantFrom(...alphabet));
  // Whole fields (or param/ADC items) swapped for values at the edge of what each field accepts.
  const tokens = [
    ...['', 'NA', 'N', 'S', 'E', 'W', 'A', 'n', 'NN', '-0', '0', '+5', '-1', '360', '360.5', '1e3', '1.2.3', '.5', '5.', '0.', '-', '+'],
    ...['5959.9999', '5960.0000', '9000.0000', '9000.0001', '18000.0000', '18000.0001', '12345678901234567', '123456789012345', '0.1234567890123456', '9007199254740993'],
    ...['290200', '290201', '310499', '000000', '131326', '235959', '240000', '235960', '120000.5', '120000.', '120000.1234567890', '12000'],
    ...['a:1:1', 'a:2:1.5', 'a:3:x:y', 'a:4:1', ':1:1', 'a:1:', 'a:2:', 'a:3:', 'a:1', 'a', 'a:1:-0', 'a:1:12345678901234567', 'a:2:1e5', 'Ж:1:1', 'a:3:Ж€'],
  ];
  const fieldEdit = fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...tokens));
  /** Replaces field `f` (or, inside a list field, its item `k`) with `token`. */
  const swapField = (text: string, [f, k, token]: [number, number, string]) => {
    const fields = text.split(';');
    const i = f % fields.length;
    const items = fields[i].split(',');
    if (items.length > 1 && k % 2 === 0) items[k % items.length] = token;
    else items.splice(0, items.length, token);
    fields[i] = items.join(',');
    return fields.join(';');
  };
  // Bodies as trackers send them (few decimals, small integers): the scanner's own ground, where
  // the random doubles and 64-bit integers above mostly go to the text path.
  const decimals = (min: number, max: number, k: number) => fc.integer({ min: min * 10 ** k, max: max * 10 ** k }).map((n) => noNegZero(n / 10 ** k));
  const trackerParam: fc.Arbitrary<WialonParam> = fc.oneof(
    fc.record({ name: paramName, type: fc.constant(1 as const), value: fc.integer({ min: -1e9, max: 1e9 }) }),
    fc.record({ name: paramName, type: fc.constant(2 as const), value: decimals(-1e5, 1e5, 3) }),
    fc.record({ name: paramName, type: fc.constant(3 as const), value: freeText(/[,;|\r\n]/g) }),
  );
  const trackerFix = fc.record({
    kind: fc.constant('SD' as const),
    time,
    latitude: coordinate('lat'),
    longitude: coordinate('lon'),
    speed: fc.option(decimals(0, 300, 1), { nil: null }),
    course: fc.option(fc.integer({ min: 0, max: 360 }), { nil: null }),
    altitude: fc.option(decimals(-500, 9000, 1), { nil: null }),
    satellites: fc.option(fc.nat(40), { nil: null }),
  });
  const trackerBody: fc.Arbitrary<WialonDataBody> = fc.oneof(
    trackerFix,
    fc
      .record({
        fix: trackerFix,
        hdop: fc.option(decimals(0, 50, 1), { nil: null }),
        inputs: fc.option(fc.nat(0xffff), { nil: null }),
        outputs: fc.option(fc.nat(0xffff), { nil: null }),
        adc: fc.array(fc.option(decimals(-100, 100, 2), { nil: null }), { maxLength: 6 }).filter((a) => !(a.length === 1 && a[0] === null)),
        ibutton: fc.option(freeText(/[;|\r\n]/g).filter((x) => x !== '' && x !== 'NA'), { nil: null }),
        params: fc.array(trackerParam, { maxLength: 10 }),
      })
      .map(({ fix, ...rest }): WialonExtendedData => ({ ...fix, kind: 'D', ...rest })),
  );

  /** The scanner accepts `u8` only if the text path does, and reads the same record; counts the outcomes in `seen`. */
  const agree = (u8: Uint8Array, v: WialonVersion, seen: { scanned: number; declined: number }) => {
    const scanned = scanBody(u8, 0, u8.length, null, 'dev', 7, WIALON_EXTRAS[v].blackBox, true);
    if (scanned === null) {
      seen.declined++;
      return;
    }
    seen.scanned++;
    // A black-box body ends at the first `|` (the scanner says where).
    const text = utf8(u8.subarray(0, scannedEnd));
    expect(scannedEnd).toBe(u8.includes(0x7c) ? u8.indexOf(0x7c) : u8.length);
    const parsed = parseDataBody(text);
    expect(parsed.ok, `the scanner accepted "${text}", the text path refused it`).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.dropped).toEqual([]);
    const expected = bodyToRecord(parsed.body, { deviceId: 'dev', version: v, receivedAt: 7, packetType: 'B', archive: true });
    expect(isDeepStrictEqual(scanned, expected), `"${text}" read differently:\n${JSON.stringify(scanned, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))}`).toBe(true);
  };

  it('every edge value in every field (and list item) of an SD and a D body as trackers send them', () => {
    const seen = { scanned: 0, declined: 0 };
    const d = '071226;093000;5544.6025;N;03739.6834;E;54.5;270;151.2;9;0.9;5;0;12.5,NA,0.02;00A1B2;ign:1:1,fuel:2:45.5,driver:3:Иванов,gsm:1:-4';
    const sd = d.split(';').slice(0, 10).join(';');
    for (const base of [d, sd]) {
      const n = base.split(';').length;
      for (let f = 0; f < n; f++) {
        for (const token of tokens) {
          for (const k of [0, 1, 2]) agree(new TextEncoder().encode(swapField(base, [f, k, token])), '2.0', seen);
        }
      }
    }
    expect(seen.scanned).toBeGreaterThan(100);
    expect(seen.declined).toBeGreaterThan(100);
  });

  it('on valid and mutated SD and D bodies: accepted by the scanner ⇒ accepted by the text path, same record', () => {
    const seen = { scanned: 0, declined: 0 };
    fc.assert(
      fc.property(fc.oneof({ arbitrary: trackerBody, weight: 4 }, { arbitrary: body, weight: 1 }), fc.array(fieldEdit, { maxLength: 2 }), fc.array(edit, { maxLength: 2 }), version, (b, swaps, edits, v) => {
        const bytes = [...new TextEncoder().encode(swaps.reduce(swapField, formatBody(b)))];
        for (const [op, at, c] of edits) {
          const i = at % (bytes.length + 1);
          if (op === 'insert') bytes.splice(i, 0, c);
          else if (i < bytes.length) {
            if (op === 'set') bytes[i] = c;
            else bytes.splice(i, 1);
          }
        }
        agree(Uint8Array.from(bytes), v, seen);
      }),
      { numRuns: RUNS.numRuns * 10 },
    );
    // Not vacuous: both outcomes occur.
    expect(seen.scanned).toBeGreaterThan(RUNS.numRuns / 4);
    expect(seen.declined).toBeGreaterThan(0);
  });
});
