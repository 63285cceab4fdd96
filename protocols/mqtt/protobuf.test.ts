import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodePayload } from './decode.ts';
import { TELEMETRY_PROTO_PATH, encodeProtobufTelemetry } from './protobuf.ts';

const ctx = { deviceId: 'gw-1', receivedAt: 5 };
const decode = (bytes: Uint8Array) => decodePayload('protobuf', bytes, ctx);

describe('Protobuf payload', () => {
  it('decodes a batch with every IO value kind, exactly', () => {
    const bytes = encodeProtobufTelemetry([
      {
        timeMs: 1767225600000,
        latitude: 55.7512,
        longitude: 37.6184,
        altitude: -12.5,
        speed: 88,
        course: 359,
        satellites: 14,
        hdop: 0.7,
        io: [
          { name: 'rpm', value: 2100 },
          { name: 'odometer_m', value: 2n ** 60n + 1n },
          { name: 'temp_c', value: -4.25 },
          { name: 'ignition', value: true },
          { name: 'vin', value: 'WDB9634031L123456' },
          { name: 'can', value: Uint8Array.of(0xde, 0xad) },
        ],
      },
      { timeMs: 1767225601000 },
    ]);
    const r = decode(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.records).toHaveLength(2);
    expect(r.records[0]).toMatchObject({
      protocol: 'mqtt-protobuf',
      deviceId: 'gw-1',
      deviceTime: 1767225600000,
      receivedAt: 5,
      latitude: 55.7512,
      longitude: 37.6184,
      altitude: -12.5,
      speed: 88,
      course: 359,
      satellites: 14,
      hdop: 0.7,
      valid: true,
      archive: false,
    });
    expect(r.records[0].io).toEqual([
      { id: 'rpm', value: 2100 },
      { id: 'odometer_m', value: 2n ** 60n + 1n },
      { id: 'temp_c', value: -4.25 },
      { id: 'ignition', value: true },
      { id: 'vin', value: 'WDB9634031L123456' },
      { id: 'can', value: Uint8Array.of(0xde, 0xad) },
    ]);
    // Unset optional fields are "not sent" (null), not 0.
    expect(r.records[1]).toMatchObject({ deviceTime: 1767225601000, latitude: null, longitude: null, speed: null, satellites: null, valid: false });
  });

  it('a zero latitude that was sent is the equator, not "no position"', () => {
    const r = decode(encodeProtobufTelemetry([{ latitude: 0, longitude: 0 }]));
    expect(r.ok && [r.records[0].latitude, r.records[0].valid]).toEqual([0, true]);
  });

  it.each([
    ['bytes that are not a message', Uint8Array.of(0x0a, 0x05, 1), 'FM_ERR_MALFORMED'],
    ['an empty message (no points)', new Uint8Array(0), 'FM_ERR_BAD_FIELD'],
    ['a latitude out of range', encodeProtobufTelemetry([{ latitude: 100 }]), 'FM_ERR_BAD_FIELD'],
    ['a time beyond 2^53', encodeProtobufTelemetry([{ timeMs: 2 ** 60 }]), 'FM_ERR_BAD_FIELD'],
  ])('rejects %s', (_what, bytes, code) => {
    const r = decode(bytes);
    expect(!r.ok && r.error.code).toBe(code);
  });

  it('rejects an IO entry without a value (hand-built: Point.io = IoValue{name:"x"})', () => {
    // Telemetry.points[0] = Point { io(11) = IoValue { name(1) = "x" } }
    const io = [0x0a, 0x01, 0x78];
    const point = [0x5a, io.length, ...io];
    const r = decode(Uint8Array.of(0x0a, point.length, ...point));
    expect(!r.ok && r.error).toMatchObject({ code: 'FM_ERR_BAD_FIELD', message: 'points[0].io[0] (x): expected one of int_value, double_value, bool_value, string_value, bytes_value, got none' });
  });

  it('the README shows the shipped .proto as it is', () => {
    const proto = readFileSync(TELEMETRY_PROTO_PATH, 'utf8');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(proto.slice(proto.indexOf('syntax = "proto3";')));
  });
});
