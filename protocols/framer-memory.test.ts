/**
 * Framer memory follows the bytes received, never the bytes announced (issue #20): a hostile peer
 * that announces the largest frame a header allows (Teltonika L, Wialon `#I#`/`#T#` size, a
 * compressed container's length) and then goes silent must cost about what it sent. Measured as
 * the bytes the framers hold (`retained`: allocated capacity), which is deterministic — not RSS.
 * bench/edge-memory.ts measures the same against a real gateway process over real sockets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from './common/hex.ts';
import { createTcpFramer as teltonikaFramer } from './teltonika/framer.ts';
import type { Framer } from './types.ts';
import { createTcpFramer as wialonFramer } from './wialon-ips/framer.ts';

const MAX = 64 * 1024; // the default --max-frame-bytes
const PER_CONNECTION_BOUND = 8 * 1024;
const enc = (s: string) => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const E1 = fromHex('000F333536333037303432343431303133'); // teltonika.md §12 E1
const L = (MAX - 12).toString(16).toUpperCase().padStart(8, '0');

/** Hostile openings, each announcing a frame of (nearly) MAX bytes; `body` bytes of it follow. */
const openings: { name: string; framer: () => Framer<unknown>; head: Uint8Array }[] = [
  { name: 'Teltonika L after the handshake', framer: () => teltonikaFramer({ maxFrameSize: MAX }), head: cat(E1, fromHex(`00000000${L}08`)) },
  { name: 'Wialon #I# (no login needed)', framer: () => wialonFramer({ maxFrameSize: MAX }), head: enc(`#I#${MAX - 64};0;0;070512;124010;a.jpg\r\n`) },
  { name: 'Wialon #T#', framer: () => wialonFramer({ maxFrameSize: MAX }), head: enc(`#T#1;${MAX - 64};0;FFFF\r\n`) },
  { name: 'Wialon compressed container', framer: () => wialonFramer({ maxFrameSize: MAX }), head: fromHex('FFFFFF') },
  { name: 'Wialon line without its LF', framer: () => wialonFramer({ maxFrameSize: MAX }), head: enc('#D#') },
];

/** Feeds `bytes` split at the given cut points; returns the framer. */
function feed(make: () => Framer<unknown>, bytes: Uint8Array, cuts: number[]): Framer<unknown> {
  const f = make();
  let at = 0;
  for (const c of [...cuts.map((x) => x % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
    if (c <= at) continue;
    const events = f.push(bytes.subarray(at, c));
    for (const e of events) expect(e.ok).toBe(true); // still waiting, never an error
    at = c;
  }
  return f;
}

describe('framer memory follows bytes received, never bytes announced', () => {
  for (const o of openings) {
    it(`${o.name}: 3 000 silent connections announcing a ${MAX}-byte frame hold ≤ 8 KiB each`, () => {
      let total = 0;
      for (let i = 0; i < 3000; i++) {
        const extra = i % 34; // 3–37 bytes in all for the short openings, as found in issue #20
        const f = feed(o.framer, cat(o.head, new Uint8Array(extra).fill(0x41)), [i % 7]);
        expect(f.retained).toBeLessThanOrEqual(PER_CONNECTION_BOUND);
        total += f.retained;
      }
      expect(total).toBeLessThanOrEqual(3000 * PER_CONNECTION_BOUND);
    });
  }

  it('property: for any opening, body length and chunking, retained ≤ 2 × received + 64 and < maxFrameSize until complete', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...openings),
        fc.integer({ min: 0, max: 20_000 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (o, bodyLen, cuts) => {
          const bytes = cat(o.head, new Uint8Array(bodyLen).fill(0x41));
          const f = feed(o.framer, bytes, cuts);
          expect(f.buffered).toBeLessThanOrEqual(bytes.length);
          expect(f.retained).toBeLessThanOrEqual(2 * bytes.length + 64);
          expect(f.retained).toBeLessThan(MAX);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a frame that does complete is whole and held in exactly its length', () => {
    const f = teltonikaFramer({ maxFrameSize: MAX });
    // teltonika.md §12 E2 (66 bytes), fed after the handshake one byte at a time.
    const E2 = fromHex('000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF');
    f.push(E1);
    const events = Array.from(E2, (b) => f.push(Uint8Array.of(b))).flat();
    expect(events).toHaveLength(1);
    const e = events[0];
    expect(e.ok && e.frame.kind === 'packet' && e.frame.bytes.buffer.byteLength).toBe(E2.length);
    expect(f.retained).toBe(0);
  });
});
