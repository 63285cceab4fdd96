import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { fromHex } from '../common/hex.ts';
import { encodeCompressed } from './compression.ts';
import { createTcpFramer, frameAll } from './framer.ts';
import { eventKey, frameInPieces, td, te } from './vectors.test-helper.ts';

const frames = (events: ReturnType<typeof frameAll>) => events.map((e) => (e.ok ? td.decode(e.frame) : `!${e.error.code}${e.fatal ? ' fatal' : ''}`));
const push = (text: string | Uint8Array, opts?: Parameters<typeof createTcpFramer>[0]) =>
  frames(createTcpFramer(opts).push(typeof text === 'string' ? te.encode(text) : text));

describe('TCP framer: text lines (§4.3)', () => {
  it('yields one packet per line, without \\r\\n', () => {
    expect(push('#L#imei;pw\r\n#P#\r\n#SD#1;2\r\n')).toEqual(['#L#imei;pw', '#P#', '#SD#1;2']);
  });
  it('holds a partial line until its end arrives', () => {
    const f = createTcpFramer();
    expect(f.push(te.encode('#SD#12'))).toEqual([]);
    expect(f.buffered).toBe(6);
    expect(frames(f.push(te.encode('34\r')))).toEqual([]);
    expect(frames(f.push(te.encode('\n#P')))).toEqual(['#SD#1234']);
    expect(f.buffered).toBe(2);
  });
  it('liberal: a bare \\n ends a line too; a lone \\r inside a line stays', () => {
    expect(push('#P#\n#M#a\rb\r\n')).toEqual(['#P#', '#M#a\rb']);
  });
  it('skips empty lines silently', () => {
    expect(push('\r\n\r\n#P#\r\n\n')).toEqual(['#P#']);
  });
  it('§12: a line without a leading # → FM_ERR_BAD_PREAMBLE, not fatal; the stream resyncs', () => {
    expect(push('hello\r\n#P#\r\n')).toEqual(['!FM_ERR_BAD_PREAMBLE', '#P#']);
  });
  it('a line with # but no #TYPE# → FM_ERR_MALFORMED, not fatal', () => {
    expect(push('#garbage\r\n#1#x\r\n#P#\r\n')).toEqual(['!FM_ERR_MALFORMED', '!FM_ERR_MALFORMED', '#P#']);
  });
  it('types named like Object.prototype members are plain lines', () => {
    expect(push('#toString#5\r\n#valueOf#1\r\n')).toEqual(['#toString#5', '#valueOf#1']);
  });
  it('error events carry no reply (log and drop, §12)', () => {
    const [ev] = createTcpFramer().push(te.encode('junk\r\n'));
    expect(ev).toEqual({ ok: false, error: { code: 'FM_ERR_BAD_PREAMBLE', message: expect.any(String) }, fatal: false, reply: null });
  });
  it('rawLines (device side): plain lines are frames (custom commands, §9)', () => {
    expect(push('reboot\r\n#AL#1\r\nUSSD:*100#\r\n', { rawLines: true })).toEqual(['reboot', '#AL#1', 'USSD:*100#']);
  });
});

describe('TCP framer: limits (§4.3, §12 "line too long → close")', () => {
  it('a line of exactly maxFrameSize passes; one byte more is fatal', () => {
    const ok = '#M#' + 'x'.repeat(97);
    expect(push(ok + '\r\n', { maxFrameSize: 100 })).toEqual([ok]);
    expect(push(ok + 'x\r\n', { maxFrameSize: 100 })).toEqual(['!FM_ERR_FRAME_TOO_LARGE fatal']);
  });
  it('fatal as soon as the pending line exceeds the cap, without waiting for \\r\\n, holding ≤ cap', () => {
    const f = createTcpFramer({ maxFrameSize: 100 });
    expect(f.push(te.encode('#M#' + 'x'.repeat(97)))).toEqual([]);
    expect(f.buffered).toBe(100);
    expect(frames(f.push(te.encode('\r')))).toEqual([]); // a CR may be the end of the line
    expect(frames(f.push(te.encode('y')))).toEqual(['!FM_ERR_FRAME_TOO_LARGE fatal']);
    expect(f.buffered).toBe(0);
  });
  it('after a fatal error the framer ignores all input', () => {
    const f = createTcpFramer({ maxFrameSize: 10 });
    expect(frames(f.push(te.encode('#P#\r\n' + 'x'.repeat(20))))).toEqual(['#P#', '!FM_ERR_FRAME_TOO_LARGE fatal']);
    expect(f.push(te.encode('\r\n#P#\r\n'))).toEqual([]);
  });
  it('a 1 MB chunk without a line end is refused without being buffered', () => {
    const f = createTcpFramer();
    expect(frames(f.push(new Uint8Array(1 << 20).fill(0x41)))).toEqual(['!FM_ERR_FRAME_TOO_LARGE fatal']);
    expect(f.buffered).toBe(0);
  });
  it('rejects a bad maxFrameSize at creation', () => {
    expect(() => createTcpFramer({ maxFrameSize: 0 })).toThrow(RangeError);
    expect(() => createTcpFramer({ maxFrameSize: 1.5 })).toThrow(RangeError);
  });
});

describe('TCP framer: binary after the header (§4.2)', () => {
  const bin = Uint8Array.of(0x0d, 0x0a, 0x23, 0x50, 0x23, 0x0d, 0x0a, 0x00); // contains \r\n and #P#\r\n
  const photo = new Uint8Array([...te.encode('#I#8;0;0;070512;124010;a.jpg\r\n'), ...bin, ...te.encode('#P#\r\n')]);
  it('#I#: reads exactly Sz bytes even when they contain \\r\\n, yields header\\r\\nBIN', () => {
    const events = frameAll(photo);
    expect(events).toHaveLength(2);
    expect(events[0].ok && events[0].frame).toEqual(photo.subarray(0, photo.length - 5));
    expect(events[1].ok && td.decode(events[1].frame)).toBe('#P#');
  });
  it('same events for every split of the stream', () => {
    const whole = frameInPieces(photo, []);
    for (let cut = 1; cut < photo.length; cut++) expect(frameInPieces(photo, [cut])).toEqual(whole);
  });
  it('#T# takes its size from the second field; #US#/#UC# from the first', () => {
    const t = new Uint8Array([...te.encode('#T#code;3;0;ABCD\r\n'), 1, 2, 3]);
    expect(frameAll(t).map((e) => e.ok && e.frame.length)).toEqual([t.length]);
    const us = new Uint8Array([...te.encode('#US#2\r\n'), 0x0d, 0x0a]);
    expect(frameAll(us).map((e) => e.ok && e.frame.length)).toEqual([us.length]);
  });
  it('a bare \\n after the header is normalised to \\r\\n', () => {
    const [ev] = frameAll(new Uint8Array([...te.encode('#US#1\n'), 0x41]));
    expect(ev.ok && td.decode(ev.frame)).toBe('#US#1\r\nA');
  });
  it('Sz 0: the header alone, with its \\r\\n', () => {
    expect(push('#I#0;0;0;NA;NA;x\r\n#P#\r\n')).toEqual(['#I#0;0;0;NA;NA;x\r\n', '#P#']);
  });
  it('an unreadable Sz: the header is yielded alone (the decoder answers #AI#NA;0)', () => {
    expect(push('#I#big;0;0;NA;NA;x\r\n#P#\r\n')).toEqual(['#I#big;0;0;NA;NA;x', '#P#']);
  });
  it('a block beyond maxFrameSize is fatal before anything is allocated for it', () => {
    expect(push('#I#999999999;0;0;NA;NA;x\r\n')).toEqual(['!FM_ERR_FRAME_TOO_LARGE fatal']);
    expect(push('#I#90;0;0;NA;NA;x\r\n', { maxFrameSize: 100 })).toEqual(['!FM_ERR_FRAME_TOO_LARGE fatal']);
  });
  it('reports the block being filled as buffered', () => {
    const f = createTcpFramer();
    f.push(te.encode('#US#10\r\n12345'));
    expect(f.buffered).toBe(13);
  });
});

describe('TCP framer: compressed container (§4.1)', () => {
  it('§13 W7: inflates the spec examples', () => {
    expect(push(fromHex('FF1B00780153F65136D233B0CECC4DCDB4F673B476B4343602002FF404E6'))).toEqual(['#L#2.0;imei;NA;A932']);
    expect(push(fromHex('FF180078DA53F651CECC4DCDB42E482C2E2ECF2F4A01002D1C05E5'))).toEqual(['#L#imei;password']);
  });
  it('between text lines, with or without \\r\\n inside, and raw DEFLATE as the fallback', () => {
    const stream = new Uint8Array([
      ...te.encode('#P#\r\n'),
      ...encodeCompressed(te.encode('#M#one\r\n')),
      ...encodeCompressed(te.encode('#M#two'), { raw: true }),
      ...te.encode('#P#\r\n'),
    ]);
    expect(push(stream)).toEqual(['#P#', '#M#one', '#M#two', '#P#']);
  });
  it('yields every packet inside (liberal: the doc says one)', () => {
    expect(push(encodeCompressed(te.encode('#P#\r\n#M#x\r\n')))).toEqual(['#P#', '#M#x']);
  });
  it('a binary packet inside a container keeps its BIN intact, even a BIN ending in \\r\\n', () => {
    const inner = new Uint8Array([...te.encode('#I#2;0;0;NA;NA;a\r\n'), 0x0d, 0x0a]);
    const [ev] = frameAll(encodeCompressed(inner));
    expect(ev.ok && ev.frame).toEqual(inner);
  });
  it('a container holding a truncated binary packet → FM_ERR_TRUNCATED, not fatal', () => {
    expect(push(encodeCompressed(te.encode('#I#9;0;0;NA;NA;a\r\nabc')))).toEqual(['!FM_ERR_TRUNCATED']);
  });
  it('§12: a container that does not inflate is dropped without an answer; the stream goes on', () => {
    const events = createTcpFramer().push(new Uint8Array([0xff, 3, 0, 1, 2, 3, ...te.encode('#P#\r\n')]));
    expect(events.map(eventKey)).toEqual(['error FM_ERR_MALFORMED fatal=false', 'frame ' + Buffer.from('#P#').toString('base64')]);
    expect(!events[0].ok && events[0].reply).toBeNull();
    expect(push(Uint8Array.of(0xff, 0, 0))).toEqual(['!FM_ERR_MALFORMED']);
  });
  it('no nested containers', () => {
    expect(push(encodeCompressed(encodeCompressed(te.encode('#P#'))))).toEqual(['!FM_ERR_BAD_PREAMBLE']);
  });
  it('a zip bomb is fatal at maxFrameSize of output, not at its full size', () => {
    const bomb = deflateSync(new Uint8Array(50 << 20).fill(0x41)); // 50 MB of "A" in ~50 KB
    expect(bomb.length).toBeLessThan(0xffff);
    const container = new Uint8Array([0xff, bomb.length & 0xff, bomb.length >> 8, ...bomb]);
    const before = process.memoryUsage().arrayBuffers;
    expect(push(container)).toEqual(['!FM_ERR_FRAME_TOO_LARGE fatal']);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(10 << 20);
  });
  it('an inflated packet just over the cap is fatal, at the cap passes', () => {
    const text = (n: number) => '#M#' + 'x'.repeat(n - 3);
    expect(push(encodeCompressed(te.encode(text(200))), { maxFrameSize: 200 })).toEqual([text(200)]);
    expect(push(encodeCompressed(te.encode(text(203))), { maxFrameSize: 200 })).toEqual(['!FM_ERR_FRAME_TOO_LARGE fatal']);
  });
  it('a container longer than maxFrameSize is fatal from its header', () => {
    expect(push(Uint8Array.of(0xff, 0xff, 0x00), { maxFrameSize: 100 })).toEqual(['!FM_ERR_FRAME_TOO_LARGE fatal']);
  });
  it('compression: false treats 0xFF as a garbage line', () => {
    expect(push(new Uint8Array([0xff, ...te.encode('x\r\n')]), { compression: false })).toEqual(['!FM_ERR_BAD_PREAMBLE']);
  });
  it('the container header split across chunks', () => {
    const c = encodeCompressed(te.encode('#P#'));
    for (let cut = 1; cut < c.length; cut++) expect(frameInPieces(c, [cut])).toEqual(frameInPieces(c, []));
  });
});
