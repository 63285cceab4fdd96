/** Shapes shared by every protocol codec: an incremental framer and a frame decoder. */
import type { ProtocolError } from './common/errors.ts';
import type { TelemetryRecord } from './record.ts';

/**
 * One step of an incremental framer. "Need more bytes" is not an event: `push` simply returns
 * no event until a frame is complete.
 * - `frame`: exactly one frame cut from the stream.
 * - `error`: bytes that cannot be a frame. `fatal` means the stream cannot be resynchronised and
 *   the connection must be closed (after sending `reply`, if any).
 */
export type FrameEvent<F> =
  | { readonly ok: true; readonly frame: F }
  | { readonly ok: false; readonly error: ProtocolError; readonly fatal: boolean; readonly reply: Uint8Array | null };

export interface Framer<F> {
  /** Feeds the next chunk (any size, any split); returns the events it completes, in order. */
  push(chunk: Uint8Array): FrameEvent<F>[];
  /** Bytes held waiting for the rest of a frame (never more than the configured maximum). */
  readonly buffered: number;
  /**
   * Memory held for partial frames, in bytes (allocated capacity, ≥ `buffered`). Follows the bytes
   * received, never a length a header announces: at most about 2 × `buffered` plus a small floor.
   */
  readonly retained: number;
}

export interface FramerOptions {
  /** Largest frame accepted; a longer one is an `FM_ERR_FRAME_TOO_LARGE` error, never buffered. */
  readonly maxFrameSize: number;
}

/** Result of decoding one frame: records plus the exact bytes to send back, or a typed error. */
export type DecodeResult =
  | { readonly ok: true; readonly records: TelemetryRecord[]; readonly reply: Uint8Array | null }
  | { readonly ok: false; readonly error: ProtocolError; readonly reply: Uint8Array | null };

export const DEFAULT_MAX_FRAME_SIZE = 64 * 1024;
