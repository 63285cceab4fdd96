/**
 * §4.1 compressed container: `FF`, u16 little-endian length n, n bytes of compressed data holding
 * one packet (whose trailing `\r\n` may be omitted). The official examples are zlib streams
 * (`78 01`, `78 DA`, RFC 1950) although v1.1 names raw DEFLATE, so inflate as zlib and fall back to
 * raw. The inflated size is capped so a zip bomb costs at most the cap, never more memory.
 */
import { inflateRawSync, inflateSync, deflateRawSync, deflateSync } from 'node:zlib';
import { protocolError, type ProtocolError } from '../common/errors.ts';

export const CONTAINER_MARKER = 0xff;
export const CONTAINER_HEADER = 3;
export const MAX_CONTAINER_PAYLOAD = 0xffff;

export type InflateResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly error: ProtocolError; readonly tooLarge: boolean };

function asUint8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function isTooLarge(e: unknown): boolean {
  return (e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
}

/** Inflates a container payload to at most `maxOutput` bytes (zlib first, then raw DEFLATE). */
export function inflatePayload(payload: Uint8Array, maxOutput: number): InflateResult {
  const opts = { maxOutputLength: Math.max(1, maxOutput) };
  let first: unknown;
  try {
    return { ok: true, bytes: asUint8(inflateSync(payload, opts)) };
  } catch (e) {
    if (isTooLarge(e)) return tooLarge(maxOutput);
    first = e;
  }
  try {
    return { ok: true, bytes: asUint8(inflateRawSync(payload, opts)) };
  } catch (e) {
    if (isTooLarge(e)) return tooLarge(maxOutput);
    return {
      ok: false,
      tooLarge: false,
      error: protocolError('FM_ERR_MALFORMED', `compressed container does not inflate: ${(first as Error).message} (zlib), ${(e as Error).message} (raw)`),
    };
  }
}

function tooLarge(max: number): InflateResult {
  return { ok: false, tooLarge: true, error: protocolError('FM_ERR_FRAME_TOO_LARGE', `compressed container inflates beyond ${max} bytes`) };
}

export interface CompressOptions {
  /** zlib level 0–9 (default 9). Level 1 reproduces the v2.0 spec example, 9 the v1.1 one. */
  readonly level?: number;
  /** Raw DEFLATE (RFC 1951) instead of zlib. Default false. */
  readonly raw?: boolean;
}

/** Wraps one packet (with or without its `\r\n`) in a container. Throws RangeError beyond 65535 compressed bytes. */
export function encodeCompressed(packet: Uint8Array, opts: CompressOptions = {}): Uint8Array {
  const level = opts.level ?? 9;
  const z = opts.raw ? deflateRawSync(packet, { level }) : deflateSync(packet, { level });
  if (z.length > MAX_CONTAINER_PAYLOAD) throw new RangeError(`compressed packet is ${z.length} bytes, the container holds at most 65535`);
  const out = new Uint8Array(CONTAINER_HEADER + z.length);
  out[0] = CONTAINER_MARKER;
  out[1] = z.length & 0xff;
  out[2] = z.length >>> 8;
  out.set(z, CONTAINER_HEADER);
  return out;
}
