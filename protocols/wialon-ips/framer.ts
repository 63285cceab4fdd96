/**
 * §4 TCP stream framer. At each frame start, branch on the first byte:
 * 1. `0xFF` → compressed container (§4.1): inflate (capped) and yield the packet(s) inside;
 * 2. `#I#`, `#T#`, `#US#`, `#UC#` → header line, then exactly Sz raw bytes (§4.2); yielded as
 *    `header\r\nBIN`;
 * 3. otherwise a text line up to `\r\n` (§4.3), yielded without its terminator.
 *
 * Any chunking gives the same events ("need more" is simply no event). Liberal on input: a bare
 * `\n` also ends a line, and empty lines are skipped silently. Errors (§12):
 * - a line that is not `#TYPE#…` → `FM_ERR_BAD_PREAMBLE` / `FM_ERR_MALFORMED`, not fatal
 *   (log and drop; the stream resyncs at the next line);
 * - a container that does not inflate → `FM_ERR_MALFORMED`, not fatal, no answer;
 * - a line, binary block, container or inflated packet beyond `maxFrameSize` →
 *   `FM_ERR_FRAME_TOO_LARGE`, fatal (close the connection). After a fatal error the framer
 *   ignores all further input.
 * Memory follows the bytes received, never the bytes announced: lines, binary blocks and containers
 * are assembled in buffers that grow as bytes arrive (GrowableBytes), so `#I#65000;…` or `FF FFFF`
 * followed by silence costs what was sent. At most `maxFrameSize` (+1 for a CR awaiting its LF) is
 * ever held.
 */
import { protocolError, type ProtocolError } from '../common/errors.ts';
import { GrowableBytes } from '../common/growable.ts';
import { DEFAULT_MAX_FRAME_SIZE, type FrameEvent, type Framer, type FramerOptions } from '../types.ts';
import { BINARY_SIZE_FIELD } from './binary.ts';
import { CONTAINER_HEADER, CONTAINER_MARKER, inflatePayload } from './compression.ts';
import { parseHead } from './decoder.ts';
import { CR, CRLF, HASH, LF, parseUnsigned, preview, utf8 } from './fields.ts';

export interface WialonFramerOptions extends FramerOptions {
  /**
   * Yield lines that are not `#TYPE#…` as frames instead of errors. For the device side of a
   * connection, where the server may send a custom command as plain text (§9). Default false.
   */
  readonly rawLines: boolean;
  /** Unwrap `0xFF` compressed containers (§4.1). Default true. */
  readonly compression: boolean;
}

const START = 0;
const LINE = 1;
const BINARY = 2;
const CONTAINER_HEAD = 3;
const CONTAINER_BODY = 4;
const DEAD = 5;

class WialonTcpFramer implements Framer<Uint8Array> {
  private readonly max: number;
  private readonly rawLines: boolean;
  private readonly compression: boolean;
  private mode = START;
  /** LINE: the pending part of the current line (never containing LF). */
  private readonly pending = new GrowableBytes();
  /** BINARY / CONTAINER_*: the block being filled, and its known total length. */
  private readonly block = new GrowableBytes();
  private blockLen = 0;
  private events: FrameEvent<Uint8Array>[] = [];

  constructor(opts: WialonFramerOptions) {
    this.max = opts.maxFrameSize;
    this.rawLines = opts.rawLines;
    this.compression = opts.compression;
  }

  get buffered(): number {
    return this.pending.length + this.block.length;
  }

  get retained(): number {
    return this.pending.capacity + this.block.capacity;
  }

  push(chunk: Uint8Array): FrameEvent<Uint8Array>[] {
    this.events = [];
    let pos = 0;
    const n = chunk.length;
    while (pos < n && this.mode !== DEAD) {
      switch (this.mode) {
        case START:
          if (chunk[pos] === CONTAINER_MARKER && this.compression) {
            this.startBlock(CONTAINER_HEADER);
            this.mode = CONTAINER_HEAD;
          } else {
            this.mode = LINE;
          }
          break;
        case LINE:
          pos = this.readLine(chunk, pos);
          break;
        case BINARY:
        case CONTAINER_HEAD:
        case CONTAINER_BODY: {
          const take = Math.min(this.blockLen - this.block.length, n - pos);
          this.block.append(chunk.subarray(pos, pos + take), this.blockLen);
          pos += take;
          if (this.block.length === this.blockLen) this.blockDone();
          break;
        }
      }
    }
    return this.events;
  }

  /** End of input (used for the inside of a container, §4.1: the trailing `\r\n` may be omitted). */
  finish(): FrameEvent<Uint8Array>[] {
    this.events = [];
    if (this.mode === LINE && this.pending.length > 0) {
      let line = this.pending.take();
      this.mode = START;
      if (line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
      this.line(line); // may open a binary block that can no longer be filled
    }
    if (this.mode === BINARY || this.mode === CONTAINER_HEAD || this.mode === CONTAINER_BODY) {
      this.error('FM_ERR_TRUNCATED', `input ended ${this.blockLen - this.block.length} bytes short of a ${this.blockLen}-byte block`, false);
    }
    if (this.mode !== DEAD) {
      this.mode = START;
      this.startBlock(0);
    }
    return this.events;
  }

  private readLine(chunk: Uint8Array, pos: number): number {
    const lf = chunk.indexOf(LF, pos);
    const end = lf < 0 ? chunk.length : lf;
    const len = this.pending.length + (end - pos);
    // The CR of a CRLF is not part of the frame; don't count it against the limit.
    const last = end > pos ? chunk[end - 1] : this.pending.last();
    const effective = last === CR ? len - 1 : len;
    if (effective > this.max) {
      this.error('FM_ERR_FRAME_TOO_LARGE', `line longer than ${this.max} bytes (maxFrameSize)`, true);
      return chunk.length;
    }
    if (lf < 0) {
      this.pending.append(chunk.subarray(pos), this.max + 1); // a copy: the caller may reuse its buffer
      return chunk.length;
    }
    this.pending.append(chunk.subarray(pos, end), len);
    const line = this.pending.take();
    this.line(effective === len ? line : line.subarray(0, effective));
    if (this.mode === LINE) this.mode = START;
    return lf + 1;
  }

  private startBlock(total: number): void {
    this.block.reset();
    this.blockLen = total;
  }

  /** A complete line without its terminator. */
  private line(line: Uint8Array): void {
    if (line.length === 0) return; // empty line: nothing to say
    const head = parseHead(line);
    if (head === null) {
      if (this.rawLines) this.events.push({ ok: true, frame: line });
      else if (line[0] !== HASH) this.error('FM_ERR_BAD_PREAMBLE', `line does not start with #: "${preview(line)}"`, false);
      else this.error('FM_ERR_MALFORMED', `expected #TYPE#…, got "${preview(line)}"`, false);
      return;
    }
    const sizeField = BINARY_SIZE_FIELD.get(head.type);
    if (sizeField === undefined) {
      this.events.push({ ok: true, frame: line });
      return;
    }
    // §4.2: binary follows. An unreadable size cannot be framed: yield the header alone and let
    // the decoder answer its structure error; the stream resyncs at a later line.
    const size = parseUnsigned(utf8(line, head.bodyStart).split(';', sizeField + 1)[sizeField] ?? '', 9);
    if (Number.isNaN(size)) {
      this.events.push({ ok: true, frame: line });
      return;
    }
    const total = line.length + 2 + size;
    if (total > this.max) {
      this.error('FM_ERR_FRAME_TOO_LARGE', `#${head.type}# announces ${size} bytes of binary, frame would be ${total} > ${this.max}`, true);
      return;
    }
    this.startBlock(total);
    this.block.append(line, total);
    this.block.append(CRLF, total);
    if (size === 0) {
      this.events.push({ ok: true, frame: this.block.take() });
      return;
    }
    this.mode = BINARY;
  }

  private blockDone(): void {
    const block = this.block.take();
    this.blockLen = 0;
    if (this.mode === BINARY) {
      this.mode = START;
      this.events.push({ ok: true, frame: block });
      return;
    }
    if (this.mode === CONTAINER_HEAD) {
      const size = block[1] | (block[2] << 8); // §4.1: u16 little-endian
      if (size > this.max) {
        this.error('FM_ERR_FRAME_TOO_LARGE', `compressed container of ${size} bytes > ${this.max}`, true);
        return;
      }
      if (size === 0) {
        this.mode = START;
        this.error('FM_ERR_MALFORMED', 'empty compressed container', false);
        return;
      }
      this.startBlock(size);
      this.mode = CONTAINER_BODY;
      return;
    }
    // CONTAINER_BODY
    this.mode = START;
    const inflated = inflatePayload(block, this.max + 2); // the packet plus an optional \r\n
    if (!inflated.ok) {
      this.fail(inflated.error, inflated.tooLarge);
      return;
    }
    const inner = new WialonTcpFramer({ maxFrameSize: this.max, rawLines: this.rawLines, compression: false });
    const events = [...inner.push(inflated.bytes), ...inner.finish()];
    for (const ev of events) {
      this.events.push(ev);
      if (!ev.ok && ev.fatal) this.die();
    }
  }

  private error(code: ProtocolError['code'], message: string, fatal: boolean): void {
    this.fail(protocolError(code, message), fatal);
  }

  private fail(error: ProtocolError, fatal: boolean): void {
    this.events.push({ ok: false, error, fatal, reply: null });
    if (fatal) this.die();
  }

  private die(): void {
    this.mode = DEAD;
    this.pending.reset();
    this.startBlock(0);
  }
}

/** Normalises options; throws RangeError for a maxFrameSize that is not a positive integer. */
export function framerOptions(opts: Partial<WialonFramerOptions> = {}): WialonFramerOptions {
  const maxFrameSize = opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  if (!Number.isSafeInteger(maxFrameSize) || maxFrameSize < 1) throw new RangeError(`maxFrameSize must be a positive integer, got ${maxFrameSize}`);
  return { maxFrameSize, rawLines: opts.rawLines ?? false, compression: opts.compression ?? true };
}

/** One packet per frame, without the trailing `\r\n` (binary packets as `header\r\nBIN`). */
export function createTcpFramer(opts?: Partial<WialonFramerOptions>): Framer<Uint8Array> {
  return new WialonTcpFramer(framerOptions(opts));
}

/**
 * Frames a complete byte string (a UDP datagram's inside, a test vector): push, then end of input,
 * so a last packet without `\r\n` is yielded too.
 */
export function frameAll(bytes: Uint8Array, opts?: Partial<WialonFramerOptions>): FrameEvent<Uint8Array>[] {
  const f = new WialonTcpFramer(framerOptions(opts));
  return [...f.push(bytes), ...f.finish()];
}
