/**
 * §3 UDP form: each datagram is `imei#PT#msg\r\n` (v1.1) or `2.0;imei#PT#msg…CRC\r\n` (v2.0); no
 * login, the prefix names the unit. The CRC covers the same bytes as over TCP (§11: the prefix is
 * excluded). A datagram may be a `0xFF` compressed container wrapping the whole datagram (§4.1,
 * §15 assumption). The answer is the TCP answer; whether to send it is ingest's choice (§3, §15).
 */
import { protocolError } from '../common/errors.ts';
import { DEFAULT_MAX_FRAME_SIZE } from '../types.ts';
import { BINARY_SIZE_FIELD } from './binary.ts';
import { CONTAINER_HEADER, CONTAINER_MARKER, inflatePayload } from './compression.ts';
import { decodePacket, parseHead } from './decoder.ts';
import { CR, HASH, LF, preview, utf8 } from './fields.ts';
import type { WialonUdpResult, WialonVersion } from './model.ts';

/** Longest `version;imei` prefix we look at before the first `#`. */
export const MAX_UDP_PREFIX = 64;

function udpFail(code: Parameters<typeof protocolError>[0], message: string): WialonUdpResult {
  return { ok: false, error: protocolError(code, message), reply: null };
}

export interface UdpOptions {
  /** Largest inflated datagram accepted from a compressed container (default 64 KiB). */
  readonly maxFrameSize?: number;
}

export function decodeUdpDatagram(bytes: Uint8Array, receivedAt: number, opts: UdpOptions = {}): WialonUdpResult {
  try {
    return decodeUnchecked(bytes, receivedAt, opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
  } catch (e) {
    return udpFail('FM_ERR_MALFORMED', `decoder fault on "${preview(bytes)}": ${(e as Error).message}`);
  }
}

function decodeUnchecked(bytes: Uint8Array, receivedAt: number, max: number): WialonUdpResult {
  if (bytes[0] === CONTAINER_MARKER) {
    if (bytes.length < CONTAINER_HEADER) return udpFail('FM_ERR_TRUNCATED', 'compressed datagram shorter than its 3-byte header');
    const size = bytes[1] | (bytes[2] << 8);
    if (bytes.length !== CONTAINER_HEADER + size) {
      return udpFail('FM_ERR_LENGTH_MISMATCH', `container says ${size} bytes, datagram carries ${bytes.length - CONTAINER_HEADER}`);
    }
    const inflated = inflatePayload(bytes.subarray(CONTAINER_HEADER), max + 2);
    if (!inflated.ok) return { ok: false, error: inflated.error, reply: null }; // §12: drop, answer nothing
    if (inflated.bytes[0] === CONTAINER_MARKER) return udpFail('FM_ERR_MALFORMED', 'nested compressed container');
    return decodeUnchecked(inflated.bytes, receivedAt, max);
  }
  const hash = bytes.subarray(0, MAX_UDP_PREFIX + 1).indexOf(HASH);
  if (hash < 0) return udpFail('FM_ERR_MALFORMED', `expected imei#TYPE#…, got "${preview(bytes)}"`);
  if (hash === 0) return udpFail('FM_ERR_BAD_IMEI', 'UDP datagram without its imei# prefix (§3)');
  const prefix = utf8(bytes, 0, hash).split(';');
  let version: WialonVersion;
  let deviceId: string;
  if (prefix.length === 1) {
    version = '1.1';
    deviceId = prefix[0];
  } else if (prefix.length === 2 && prefix[0].includes('.')) {
    if (prefix[0] !== '2.0') return udpFail('FM_ERR_UNSUPPORTED', `protocol version "${prefix[0].slice(0, 16)}", expected 2.0`);
    version = '2.0';
    deviceId = prefix[1];
  } else {
    return udpFail('FM_ERR_MALFORMED', `UDP prefix "${preview(bytes.subarray(0, hash))}" is neither imei nor 2.0;imei`);
  }
  if (deviceId === '' || deviceId === 'NA') return udpFail('FM_ERR_BAD_IMEI', 'UDP datagram with an empty imei');
  const head = parseHead(bytes, hash);
  if (head === null) return udpFail('FM_ERR_MALFORMED', `expected #TYPE# after the prefix, got "${preview(bytes.subarray(hash))}"`);
  if (head.type === 'L') return udpFail('FM_ERR_UNSUPPORTED', 'login over UDP: the UDP form has no login (§3)');
  // Text packets end at their \r\n (or \n); binary packets keep the header's \r\n and the BIN.
  let end = bytes.length;
  if (BINARY_SIZE_FIELD.get(head.type) === undefined) {
    if (bytes[end - 1] === LF) end--;
    if (bytes[end - 1] === CR) end--;
  }
  const r = decodePacket(bytes.subarray(hash, end), { deviceId, version }, receivedAt);
  if (!r.ok) return r;
  if (r.type === 'L') return udpFail('FM_ERR_UNSUPPORTED', 'login over UDP'); // unreachable, narrows the type
  const { ok: _ok, type, records, reply, ...rest } = r;
  return { ok: true, deviceId, version, type, records, reply, ...rest };
}
