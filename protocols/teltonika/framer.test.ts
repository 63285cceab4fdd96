import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_ERROR_CODES } from '../common/errors.ts';
import { fromHex, toHex } from '../common/hex.ts';
import { encodeAvlPacket, encodeCommandResponse, encodeImei, encodeTcpFrame } from './encoder.ts';
import { MIN_MAX_FRAME_SIZE, createTcpFramer } from './framer.ts';
import { imeiReply } from './imei.ts';
import { streamArb } from './testing/arbitraries.ts';
import { frameAll, splitTests } from './testing/expand.ts';
import { concat, splitAt } from './testing/spec.ts';

// teltonika.md §12 E1 (also §2 step 1): the IMEI handshake.
const E1 = fromHex('000F333536333037303432343431303133');
// teltonika.md §12 E2: the smallest documented AVL packet (Codec 8, 66 bytes).
const E2 = fromHex(
  '000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF',
);

const afterLogin = (opts?: Parameters<typeof createTcpFramer>[0]) => {
  const f = createTcpFramer(opts);
  expect(f.push(E1)).toHaveLength(1);
  return f;
};

describe('§12 E1: IMEI handshake', () => {
  it('frames the IMEI and answers 01 / 00 (§2 step 2)', () => {
    expect(createTcpFramer().push(E1)).toStrictEqual([{ ok: true, frame: { kind: 'imei', imei: '356307042441013' } }]);
    expect(toHex(imeiReply(true))).toBe('01');
    expect(toHex(imeiReply(false))).toBe('00');
  });

  it('encodes to the same bytes', () => {
    expect(toHex(encodeImei('356307042441013'))).toBe(toHex(E1));
  });

  splitTests(E1, [{ kind: 'imei', imei: '356307042441013' }]);
});

describe('TCP framer', () => {
  it('cuts many packets and pings out of one chunk, in order', () => {
    const c12 = encodeCommandResponse('ok');
    const events = createTcpFramer().push(concat(E1, E2, Uint8Array.of(0xff), c12, E2));
    expect(events.map((e) => (e.ok ? e.frame.kind : e.error.code))).toEqual(['imei', 'packet', 'ping', 'packet', 'packet']);
    const packets = events.flatMap((e) => (e.ok && e.frame.kind === 'packet' ? [toHex(e.frame.bytes)] : []));
    expect(packets).toEqual([toHex(E2), toHex(c12), toHex(E2)]);
  });

  it('returns a frame that lies inside one chunk as a view of it (no copy), and copies split frames', () => {
    const chunk = concat(E1, E2);
    const [, whole] = createTcpFramer().push(chunk);
    expect(whole.ok && whole.frame.kind === 'packet' && whole.frame.bytes.buffer).toBe(chunk.buffer);
    const f = createTcpFramer();
    f.push(concat(E1, E2.subarray(0, 20)));
    const [split] = f.push(E2.subarray(20));
    expect(split.ok && split.frame.kind === 'packet' && split.frame.bytes.buffer).not.toBe(chunk.buffer);
    expect(split.ok && split.frame.kind === 'packet' && toHex(split.frame.bytes)).toBe(toHex(E2));
  });

  it('reports what it holds in `buffered`, and nothing once a frame is out', () => {
    const f = afterLogin();
    expect(f.buffered).toBe(0);
    f.push(E2.subarray(0, 5)); // header still incomplete
    expect(f.buffered).toBe(5);
    f.push(E2.subarray(5, 40));
    expect(f.buffered).toBe(40);
    expect(f.push(E2.subarray(40))).toHaveLength(1);
    expect(f.buffered).toBe(0);
  });

  it('swallows 0xFF pings between packets (§2 step 6)', () => {
    const f = afterLogin();
    expect(f.push(Uint8Array.of(0xff, 0xff))).toStrictEqual([{ ok: true, frame: { kind: 'ping' } }, { ok: true, frame: { kind: 'ping' } }]);
  });

  it('swallows 0xFF pings before the IMEI handshake too (§2 framing: "if the first byte is 0xFF, consume 1 byte")', () => {
    // An FMB device whose link idled before it logged in: FF, FF, then E1 and E2 as captured.
    const stream = concat(fromHex('FFFF'), E1, fromHex('FF'), E2);
    for (const chunks of [[stream], Array.from(stream, (b) => Uint8Array.of(b)), [stream.subarray(0, 1), stream.subarray(1, 3), stream.subarray(3)]]) {
      const f = createTcpFramer();
      const kinds = chunks.flatMap((ch) => f.push(ch)).map((e) => (e.ok ? e.frame.kind : e.error.code));
      expect(kinds).toEqual(['ping', 'ping', 'imei', 'ping', 'packet']);
      expect(f.buffered).toBe(0);
    }
    // FF 00 is a ping and then the first byte of a handshake, not an IMEI length of 0xFF00.
    const f = createTcpFramer();
    expect(f.push(fromHex('FF00'))).toStrictEqual([{ ok: true, frame: { kind: 'ping' } }]);
    expect(f.push(E1.subarray(1))).toStrictEqual([{ ok: true, frame: { kind: 'imei', imei: '356307042441013' } }]);
  });

  it('accepts IMEI lengths 1..20 by default and only 15 when strict (§2)', () => {
    expect(frameAll([encodeImei('1')]).frames).toStrictEqual([{ kind: 'imei', imei: '1' }]);
    expect(frameAll([encodeImei('12345678901234567890')]).frames).toStrictEqual([{ kind: 'imei', imei: '12345678901234567890' }]);
    const strict = createTcpFramer({ strictImeiLength: true }).push(encodeImei('1234567890123456'));
    expect(strict.map((e) => (e.ok ? 'ok' : e.error.code))).toEqual(['FM_ERR_BAD_IMEI']);
  });

  it('frames a second handshake after the first as another IMEI frame (§2 algorithm); ingest decides', () => {
    expect(frameAll([E1, E2, E1]).frames.map((f) => f.kind)).toEqual(['imei', 'packet', 'imei']);
  });

  it('passes packets with unknown codec ids through: §11 keeps the connection open, the decoder rejects them', () => {
    const unknown = encodeTcpFrame(fromHex('07010203'));
    expect(frameAll([E1, unknown]).frames).toStrictEqual([{ kind: 'imei', imei: '356307042441013' }, { kind: 'packet', bytes: unknown }]);
  });

  describe('fatal errors carry the reply §11 prescribes', () => {
    const cases: { what: string; stream: Uint8Array; code: string; reply: string | null }[] = [
      { what: 'data before an IMEI (§11: close)', stream: E2, code: 'FM_ERR_NOT_LOGGED_IN', reply: null },
      { what: 'IMEI length 0x0100 (§2: reject)', stream: fromHex('0100'), code: 'FM_ERR_BAD_IMEI', reply: '00' },
      { what: 'a ping, then data before an IMEI', stream: concat(fromHex('FF'), E2), code: 'FM_ERR_NOT_LOGGED_IN', reply: null },
      { what: 'non-digit IMEI (§11: IMEI rejected → 00, close)', stream: fromHex('000F33353633303730343234343130314A'), code: 'FM_ERR_BAD_IMEI', reply: '00' },
      { what: 'HTTP instead of a handshake', stream: new TextEncoder().encode('GET / HTTP/1.1\r\n'), code: 'FM_ERR_BAD_IMEI', reply: '00' },
      { what: 'bad preamble after login (§11: close)', stream: concat(E1, fromHex('0000010000000036')), code: 'FM_ERR_BAD_PREAMBLE', reply: null },
      { what: 'implausible first u16 after login', stream: concat(E1, fromHex('1234')), code: 'FM_ERR_BAD_PREAMBLE', reply: null },
      { what: 'bad IMEI-looking frame after login', stream: concat(E1, fromHex('0003414243')), code: 'FM_ERR_BAD_IMEI', reply: null },
      { what: 'L beyond maxFrameSize (§11: close)', stream: concat(E1, fromHex('0000000000010000')), code: 'FM_ERR_FRAME_TOO_LARGE', reply: null },
      { what: 'L = 0xFFFFFFFF', stream: concat(E1, fromHex('00000000FFFFFFFF')), code: 'FM_ERR_FRAME_TOO_LARGE', reply: null },
      { what: 'L below any data field (§11)', stream: concat(E1, fromHex('0000000000000002')), code: 'FM_ERR_LENGTH_MISMATCH', reply: null },
      { what: 'L below the Codec 8 minimum (§11)', stream: concat(E1, fromHex('000000000000002008')), code: 'FM_ERR_LENGTH_MISMATCH', reply: null },
      { what: 'L below the Codec 8E minimum (§11)', stream: concat(E1, fromHex('00000000000000288E')), code: 'FM_ERR_LENGTH_MISMATCH', reply: null },
      { what: 'L below the Codec 16 minimum (§11)', stream: concat(E1, fromHex('000000000000002210')), code: 'FM_ERR_LENGTH_MISMATCH', reply: null },
      { what: 'L below the Codec 12 minimum (§11)', stream: concat(E1, fromHex('00000000000000070C')), code: 'FM_ERR_LENGTH_MISMATCH', reply: null },
    ];
    for (const c of cases) {
      it(c.what, () => {
        for (const chunks of [[c.stream], Array.from(c.stream, (b) => Uint8Array.of(b))]) {
          const f = createTcpFramer();
          const events = chunks.flatMap((ch) => f.push(ch));
          const last = events[events.length - 1];
          expect(last.ok).toBe(false);
          if (last.ok) return;
          expect(last.error.code).toBe(c.code);
          expect(last.fatal).toBe(true);
          expect(last.reply === null ? null : toHex(last.reply)).toBe(c.reply);
          expect(events.filter((e) => !e.ok)).toHaveLength(1);
          expect(f.buffered).toBe(0);
          // Dead: later input is ignored, even a valid stream.
          expect(f.push(concat(E1, E2))).toEqual([]);
        }
      });
    }
  });

  it('never allocates for an oversized frame: the error comes from the 8-byte header', () => {
    const f = afterLogin({ maxFrameSize: 1024 });
    const ok = encodeAvlPacket(0x08, [{ deviceTime: 1, io: Array.from({ length: 120 }, (_, i) => ({ id: i, value: 1n })) }]);
    expect(ok.length).toBeGreaterThan(1024);
    const events = f.push(ok.subarray(0, 8));
    expect(events.map((e) => (e.ok ? 'ok' : e.error.code))).toEqual(['FM_ERR_FRAME_TOO_LARGE']);
    expect(f.buffered).toBe(0);
  });

  it('accepts a frame of exactly maxFrameSize', () => {
    const p = encodeTcpFrame(fromHex('07' + '00'.repeat(100 - 12 - 1)));
    expect(p.length).toBe(100);
    const f = afterLogin({ maxFrameSize: 100 });
    expect(f.push(p)).toStrictEqual([{ ok: true, frame: { kind: 'packet', bytes: p } }]);
    expect(afterLogin({ maxFrameSize: 99 }).push(p).map((e) => (e.ok ? 'ok' : e.error.code))).toEqual(['FM_ERR_FRAME_TOO_LARGE']);
  });

  it('checks its options at creation', () => {
    expect(() => createTcpFramer({ maxFrameSize: MIN_MAX_FRAME_SIZE - 1 })).toThrow(RangeError);
    expect(() => createTcpFramer({ maxFrameSize: 1.5e3 + 0.5 })).toThrow(RangeError);
    expect(() => createTcpFramer({ maxFrameSize: MIN_MAX_FRAME_SIZE })).not.toThrow();
  });

  it('property: a stream of several frames split at arbitrary points yields the same frames', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 12 }), ({ bytes, frames }, cuts) => {
        const stream = concat(...bytes);
        expect(frameAll(splitAt(stream, cuts.map((c) => c % (stream.length + 1))))).toStrictEqual({ frames, errors: [] });
      }),
      { numRuns: 300 },
    );
  });

  it('property: random bytes, before or after a login, never throw and stay within maxFrameSize', () => {
    const maxFrameSize = 256;
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 12 }),
        fc.array(fc.constantFrom(0x00, 0xff), { maxLength: 8 }),
        (login, chunks, prefix) => {
          const f = createTcpFramer({ maxFrameSize });
          const events = login ? f.push(E1) : [];
          // Zeros and 0xFF make the garbage look like preambles and pings more often.
          for (const c of [Uint8Array.from(prefix), ...chunks]) {
            events.push(...f.push(c));
            expect(f.buffered).toBeLessThanOrEqual(maxFrameSize);
          }
          const errors = events.filter((e) => !e.ok);
          expect(errors.length).toBeLessThanOrEqual(1);
          if (errors.length === 1) expect(events[events.length - 1].ok).toBe(false);
          for (const e of events) {
            if (e.ok) {
              expect(['imei', 'ping', 'packet']).toContain(e.frame.kind);
              if (e.frame.kind === 'packet') expect(e.frame.bytes.length).toBeLessThanOrEqual(maxFrameSize);
            } else {
              expect(PROTOCOL_ERROR_CODES).toContain(e.error.code);
              expect(e.fatal).toBe(true);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
