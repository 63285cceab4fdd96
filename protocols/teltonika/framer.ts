/**
 * TCP stream framer (teltonika.md §2 "TCP stream framing algorithm"): cuts the byte stream of one
 * connection into the IMEI handshake, 0xFF pings and whole packets (preamble … CRC).
 *
 * - Stateful: the first frame must be the IMEI handshake (§11: data before an IMEI → close); 0xFF
 *   pings are swallowed at any frame start, before the handshake too (§2 framing algorithm).
 * - "Need more" is a normal state. Only the header (≤ 9 bytes) is copied while a frame's length is
 *   unknown; once known, a frame that lies inside one chunk is returned as a view of that chunk
 *   (zero copy: do not reuse a chunk's memory after pushing it), otherwise it is assembled in a
 *   buffer that grows with the bytes that arrive (GrowableBytes), never preallocated to the length
 *   the header announces: a peer announcing the largest frame and going silent costs what it sent.
 * - Every error is fatal (the stream cannot be resynchronised): the event carries the reply §11
 *   prescribes (or null), and the framer ignores all later input. Ingest closes the connection.
 * - Length checks (§2, §11): L + 12 > maxFrameSize → FM_ERR_FRAME_TOO_LARGE; L below the minimum of
 *   the codec it names (Codec 8 33, 8E 41, 16 35, 12 8, other ids 3) → FM_ERR_LENGTH_MISMATCH.
 *   Unknown codec ids are NOT fatal here: §11 keeps the connection open, the decoder rejects them.
 * - After the handshake, a frame whose first u16 is a plausible IMEI length (1..20) is framed as
 *   another IMEI packet (§2 algorithm: "if u16 @0 != 0, the frame is an IMEI packet"); ingest
 *   decides what a second handshake means. Any other non-zero preamble → FM_ERR_BAD_PREAMBLE.
 */
import { ProtocolFault } from '../common/errors.ts';
import { GrowableBytes } from '../common/growable.ts';
import { DEFAULT_MAX_FRAME_SIZE } from '../types.ts';
import type { FrameEvent, Framer, FramerOptions } from '../types.ts';
import { CODEC_12, CODEC_16, CODEC_8, CODEC_8E, MIN_RECORD_SIZE } from './avl.ts';
import { MIN_DATA_LENGTH, TCP_OVERHEAD } from './decoder.ts';
import { checkImeiBytes, imeiReply, isImeiLength } from './imei.ts';

export type TeltonikaTcpFrame =
  | { readonly kind: 'imei'; readonly imei: string }
  | { readonly kind: 'ping' }
  | { readonly kind: 'packet'; readonly bytes: Uint8Array };

export interface TeltonikaFramerOptions extends FramerOptions {
  /** Accept only 15-digit IMEIs (`000F`). Default false: lengths 1..20, as §2 allows. */
  readonly strictImeiLength: boolean;
}

/** Smallest allowed `maxFrameSize`: the smallest valid Codec 8 packet (§3). */
export const MIN_MAX_FRAME_SIZE = 45;

/** Smallest data field length L per codec id (§3, §4, §9): codec + N1 + one smallest record + N2. */
const MIN_LENGTH_BY_CODEC: { readonly [codec: number]: number } = {
  [CODEC_8]: 3 + MIN_RECORD_SIZE[CODEC_8],
  [CODEC_8E]: 3 + MIN_RECORD_SIZE[CODEC_8E],
  [CODEC_16]: 3 + MIN_RECORD_SIZE[CODEC_16],
  [CODEC_12]: 8, // codec + q1 + type + size(4) + q2, empty text
};

/** Header bytes needed before any frame length is known: preamble 4 + L 4 + codec id 1. */
const HEADER_MAX = 9;

const PING: FrameEvent<TeltonikaTcpFrame> = Object.freeze({ ok: true, frame: Object.freeze({ kind: 'ping' }) });

const STAGE_IMEI = 0;
const STAGE_DATA = 1;
const STAGE_DEAD = 2;

class TcpFramer implements Framer<TeltonikaTcpFrame> {
  private stage = STAGE_IMEI;
  private readonly head = new Uint8Array(HEADER_MAX);
  private headLen = 0;
  /** Length of the frame being assembled in `body` (0: none). */
  private frameLen = 0;
  private readonly body = new GrowableBytes();
  private readonly maxFrameSize: number;
  private readonly strictImei: boolean;
  /** Set by `classify` when it returns 0. */
  private fault: { error: ProtocolFault; reply: Uint8Array | null } | null = null;

  constructor(opts: TeltonikaFramerOptions) {
    this.maxFrameSize = opts.maxFrameSize;
    this.strictImei = opts.strictImeiLength;
  }

  get buffered(): number {
    return this.headLen + this.body.length;
  }

  get retained(): number {
    return this.body.capacity;
  }

  push(chunk: Uint8Array): FrameEvent<TeltonikaTcpFrame>[] {
    const events: FrameEvent<TeltonikaTcpFrame>[] = [];
    try {
      this.consume(chunk, events);
    } catch (e) {
      // Not reachable by design; if a bug ever throws, the stream is unusable: fail it as a value.
      this.fault = { error: new ProtocolFault('FM_ERR_MALFORMED', `framer failure: ${e instanceof Error ? e.message : String(e)}`), reply: null };
      this.die(events);
    }
    return events;
  }

  private consume(chunk: Uint8Array, events: FrameEvent<TeltonikaTcpFrame>[]): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n && this.stage !== STAGE_DEAD) {
      const frameLen = this.frameLen;
      if (frameLen > 0) {
        // Assembling a frame of known length: copy what this chunk holds of it.
        const take = Math.min(frameLen - this.body.length, n - pos);
        this.body.append(chunk.subarray(pos, pos + take), frameLen);
        pos += take;
        if (this.body.length === frameLen) {
          this.frameLen = 0;
          this.emit(this.body.take(), events);
        }
        continue;
      }
      let len: number;
      if (this.headLen === 0) {
        len = this.classify(chunk, pos, n - pos);
        if (len > 0) {
          if (n - pos >= len) {
            this.emit(chunk.subarray(pos, pos + len), events); // zero copy
            pos += len;
          } else {
            this.frameLen = len; // ≤ maxFrameSize, checked by classify; bytes are appended as they come
          }
          continue;
        }
        if (len < 0) {
          // Fewer than HEADER_MAX bytes left and not enough to know the length: keep them.
          this.head.set(chunk.subarray(pos), 0);
          this.headLen = n - pos;
          pos = n;
          break;
        }
      } else {
        // Top the header up, exactly to what `classify` asks for, and classify again.
        len = this.classify(this.head, 0, this.headLen);
        while (len < 0 && pos < n) {
          const take = Math.min(-len - this.headLen, n - pos);
          this.head.set(chunk.subarray(pos, pos + take), this.headLen);
          this.headLen += take;
          pos += take;
          len = this.classify(this.head, 0, this.headLen);
        }
        if (len < 0) break;
        if (len > 0) {
          // len ≤ maxFrameSize; len > headLen (see classify)
          this.body.append(this.head.subarray(0, this.headLen), len);
          this.headLen = 0;
          this.frameLen = len;
          continue;
        }
      }
      this.die(events);
    }
  }

  /**
   * Looks at the first `avail` bytes of a frame at `b[off]`. Returns the frame length (> 0), or
   * `-k` when at least k bytes are needed to tell, or 0 on a fatal error (stored in `fault`).
   * A returned length always exceeds the bytes asked for, so a partial header never holds a whole
   * frame.
   */
  private classify(b: Uint8Array, off: number, avail: number): number {
    if (avail < 1) return -1;
    // §2 framing: "if the first byte is 0xFF, consume 1 byte (ping)" — before the handshake too
    // (a device whose link idled before it logged in); an IMEI length never starts with 0xFF.
    if (b[off] === 0xff) return 1;
    if (this.stage === STAGE_IMEI) {
      if (avail < 2) return -2;
      const len = (b[off] << 8) | b[off + 1];
      if (len === 0) {
        // §11: data before an IMEI → close the connection.
        return this.fail('FM_ERR_NOT_LOGGED_IN', 'expected the IMEI handshake first, got a data packet (u16 length 0)', null);
      }
      if (!isImeiLength(len, this.strictImei)) {
        // §2: reject implausible IMEI lengths (the reply to a rejected handshake is 0x00).
        return this.fail('FM_ERR_BAD_IMEI', `IMEI length: expected ${this.strictImei ? '15' : '1..20'}, got ${len}`, imeiReply(false));
      }
      return 2 + len;
    }
    if (avail < 2) return -2;
    const first = (b[off] << 8) | b[off + 1];
    if (first !== 0) {
      if (isImeiLength(first, this.strictImei)) return 2 + first; // §2 algorithm: IMEI packet
      // §11: preamble is not 00000000 and not a plausible IMEI length → close.
      return this.fail('FM_ERR_BAD_PREAMBLE', `preamble: expected 00000000, got ${hexAt(b, off, avail)}`, null);
    }
    if (avail < 4) return -4;
    if (b[off + 2] !== 0 || b[off + 3] !== 0) {
      return this.fail('FM_ERR_BAD_PREAMBLE', `preamble: expected 00000000, got ${hexAt(b, off, avail)}`, null);
    }
    if (avail < 8) return -8;
    const length = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0;
    if (length > this.maxFrameSize - TCP_OVERHEAD) {
      // §2/§11: L far beyond any device's packet size → garbage, close.
      return this.fail('FM_ERR_FRAME_TOO_LARGE', `frame length: expected at most ${this.maxFrameSize} bytes, header says ${length + TCP_OVERHEAD}`, null);
    }
    if (length < MIN_DATA_LENGTH) {
      return this.fail('FM_ERR_LENGTH_MISMATCH', `data field length: expected at least ${MIN_DATA_LENGTH}, got ${length}`, null);
    }
    if (avail < HEADER_MAX) return -HEADER_MAX;
    const codec = b[off + 8];
    const min = MIN_LENGTH_BY_CODEC[codec];
    if (min !== undefined && length < min) {
      // §11: L smaller than the codec minimum → close.
      return this.fail('FM_ERR_LENGTH_MISMATCH', `data field length for codec 0x${codec.toString(16).toUpperCase().padStart(2, '0')}: expected at least ${min}, got ${length}`, null);
    }
    return length + TCP_OVERHEAD;
  }

  /** A whole frame is here: turn it into an event. */
  private emit(f: Uint8Array, events: FrameEvent<TeltonikaTcpFrame>[]): void {
    if (f.length === 1) {
      events.push(PING);
      return;
    }
    if (f[0] === 0 && f[1] === 0) {
      events.push({ ok: true, frame: { kind: 'packet', bytes: f } });
      return;
    }
    try {
      const imei = checkImeiBytes(f, 2, f.length - 2, this.strictImei);
      this.stage = STAGE_DATA;
      events.push({ ok: true, frame: { kind: 'imei', imei } });
    } catch (e) {
      // §11 "IMEI rejected → send 00, then close" for the handshake; a bad IMEI-looking frame
      // later in the stream is desynchronised garbage: close without a reply.
      if (!(e instanceof ProtocolFault)) throw e;
      this.fault = { error: e, reply: this.stage === STAGE_IMEI ? imeiReply(false) : null };
      this.die(events);
    }
  }

  private fail(code: ProtocolFault['code'], message: string, reply: Uint8Array | null): number {
    this.fault = { error: new ProtocolFault(code, message), reply };
    return 0;
  }

  private die(events: FrameEvent<TeltonikaTcpFrame>[]): void {
    const fault = this.fault;
    this.stage = STAGE_DEAD;
    this.fault = null;
    this.frameLen = 0;
    this.body.reset();
    this.headLen = 0;
    if (fault !== null) events.push({ ok: false, error: fault.error.toValue(), fatal: true, reply: fault.reply });
  }
}

/**
 * Creates the framer for one TCP connection. Options are checked here (programmer errors throw a
 * RangeError at creation; input bytes never make `push` throw).
 */
export function createTcpFramer(opts?: Partial<TeltonikaFramerOptions>): Framer<TeltonikaTcpFrame> {
  const maxFrameSize = opts?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  if (!Number.isSafeInteger(maxFrameSize) || maxFrameSize < MIN_MAX_FRAME_SIZE) {
    throw new RangeError(`maxFrameSize: expected an integer ≥ ${MIN_MAX_FRAME_SIZE}, got ${maxFrameSize}`);
  }
  return new TcpFramer({ maxFrameSize, strictImeiLength: opts?.strictImeiLength ?? false });
}

function hexAt(b: Uint8Array, off: number, avail: number): string {
  let s = '';
  for (let i = 0; i < 4; i++) s += i < avail ? b[off + i].toString(16).toUpperCase().padStart(2, '0') : '..';
  return s;
}
