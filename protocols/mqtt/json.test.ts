import { describe, expect, it } from 'vitest';
import { decodePayload } from './decode.ts';

const ctx = { deviceId: 'truck-7', receivedAt: Date.UTC(2026, 0, 1, 0, 5) };
const json = (v: unknown) => decodePayload('json', Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), ctx);

describe('JSON payload', () => {
  it('decodes the README example field for field', () => {
    const r = json({ time: 1767225600000, lat: 55.7512, lon: 37.6184, alt: 151, speed: 42.5, course: 270, sats: 11, hdop: 0.8, io: { ignition: true, fuel_l: 41.5, driver: 'A. Petrov' } });
    expect(r).toEqual({
      ok: true,
      records: [
        {
          protocol: 'mqtt-json',
          deviceId: 'truck-7',
          deviceTime: 1767225600000,
          receivedAt: ctx.receivedAt,
          latitude: 55.7512,
          longitude: 37.6184,
          altitude: 151,
          speed: 42.5,
          course: 270,
          satellites: 11,
          hdop: 0.8,
          valid: true,
          priority: null,
          eventId: null,
          io: [
            { id: 'ignition', value: true },
            { id: 'fuel_l', value: 41.5 },
            { id: 'driver', value: 'A. Petrov' },
          ],
          archive: false,
        },
      ],
    });
  });

  it('a batch is an array of points, in order', () => {
    const r = json([{ time: 1000, lat: 1, lon: 2 }, { time: '2026-01-01T03:00:00+03:00' }, { time: 3000, archive: true }]);
    expect(r.ok && r.records.map((x) => [x.deviceTime, x.archive])).toEqual([
      [1000, false],
      [Date.UTC(2026, 0, 1), false],
      [3000, true],
    ]);
  });

  it('a field left out is null, never 0; valid is derived unless sent', () => {
    const [a] = (json({ time: 1 }) as { records: { latitude: unknown; valid: boolean }[] }).records;
    expect(a.latitude).toBeNull();
    expect(a.valid).toBe(false);
    const [b] = (json({ lat: 1, lon: 2, sats: 0 }) as { records: { valid: boolean }[] }).records;
    expect(b.valid).toBe(false);
    const [c] = (json({ lat: 1, lon: 2, valid: false }) as { records: { valid: boolean; deviceTime: unknown }[] }).records;
    expect(c).toMatchObject({ valid: false, deviceTime: null });
  });

  it('course 360 is stored as 0', () => {
    const r = json({ course: 360 });
    expect(r.ok && r.records[0].course).toBe(0);
  });

  it.each([
    ['not JSON', 'nope', 'FM_ERR_MALFORMED', /expected JSON/],
    ['not UTF-8', Buffer.from([0xff, 0xfe]), 'FM_ERR_MALFORMED', /not UTF-8/],
    ['a number', '42', 'FM_ERR_BAD_FIELD', /^\/: expected object, got 42/],
    ['latitude out of range', { lat: 91 }, 'FM_ERR_BAD_FIELD', /^\/lat: expected a number -90\.\.90 \(degrees\), got 91$/],
    ['an unknown field (typo)', { latitude: 1 }, 'FM_ERR_BAD_FIELD', /^\/latitude: unknown field/],
    ['a fractional satellite count in a batch', [{ lat: 1 }, { sats: 1.5 }], 'FM_ERR_BAD_FIELD', /^\[1\]\/sats: expected an integer 0\.\.255, got 1\.5$/],
    ['an empty batch', [], 'FM_ERR_BAD_FIELD', /expected 1\.\.1000 points, got 0/],
    ['a negative time', { time: -1 }, 'FM_ERR_BAD_FIELD', /^\/time: expected ms since the epoch/],
    ['a time without a zone', { time: '2026-01-01T00:00:00' }, 'FM_ERR_BAD_FIELD', /^\/time:/],
    ['an impossible date', { time: '2026-13-01T00:00:00Z' }, 'FM_ERR_BAD_FIELD', /^\/time: expected a real time/],
    ['an object as IO value', { io: { a: {} } }, 'FM_ERR_BAD_FIELD', /^\/io\/a: expected a number, a string/],
    ['an IO name too long', { io: { ['x'.repeat(65)]: 1 } }, 'FM_ERR_BAD_FIELD', /^\/io\/x{65}: expected an IO name of 1\.\.64 characters/],
  ])('rejects %s', (_what, payload, code, message) => {
    const r = decodePayload('json', Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.message).toMatch(message);
    }
  });

  it('rejects a batch of 1001 points', () => {
    const r = json(Array.from({ length: 1001 }, () => ({})));
    expect(!r.ok && r.error.code).toBe('FM_ERR_BAD_FIELD');
  });
});
