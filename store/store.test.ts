import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryRecord } from '../protocols/record.ts';
import { backends } from '../test/support/backends.ts';
import { migrate, storeMigrations, type Store } from './index.ts';
import { frameRow, hashBytes, partitionDay, recordRow, rowToRecord, type RecordRow } from './records.ts';

const base: TelemetryRecord = {
  protocol: 'teltonika',
  deviceId: '356307042441013',
  deviceTime: 1_560_161_086_000,
  receivedAt: 1_560_161_090_123,
  latitude: 54.6872633,
  longitude: 25.2588417,
  altitude: 111,
  speed: 0,
  course: 214,
  satellites: 4,
  hdop: null,
  valid: true,
  priority: 1,
  eventId: 1,
  io: [
    { id: 21, value: 3 },
    { id: 1, value: 1 },
    { id: 78, value: 18446744073709551615n },
    { id: 385, value: Uint8Array.from([0xde, 0xad]) },
  ],
  archive: false,
  extras: { codec: 0x8e },
};

for (const backend of backends) {
  describe(`store on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it('pings', async () => {
      expect(await store.ping()).toEqual({ ok: true });
    });

    it('migrates once, and again as a no-op', async () => {
      const first = await migrate(store, storeMigrations);
      expect(first.applied).toEqual(['0001_records', '0002_frames']);
      const second = await migrate(store, storeMigrations);
      expect(second.applied).toEqual([]);
      expect(second.alreadyApplied).toEqual(['0001_records', '0002_frames']);
    });

    it('stores every field exactly and reads it back, 64-bit IO values included', async () => {
      const wialon: TelemetryRecord = {
        ...base,
        protocol: 'wialon-ips',
        deviceId: 'wialon-7',
        deviceTime: null,
        latitude: null,
        longitude: null,
        priority: null,
        eventId: null,
        io: [{ id: 'водитель', value: 'Иван Петров' }, { id: 'fuel', value: 12.5 }, { id: 'ign', value: true }],
        archive: true,
        extras: undefined,
      };
      const frame = Uint8Array.from([1, 2, 3]);
      const fh = hashBytes(frame);
      await store.insertJsonLines('records', [recordRow(base, 'tcp', fh), recordRow(wialon, 'udp', fh)].join('\n'));
      await store.insertJsonLines('frames', frameRow(base.deviceId, 'teltonika', 'tcp', base.receivedAt, fh, frame));
      const rows = await store.query<RecordRow>('SELECT * FROM records FINAL ORDER BY device_id');
      expect(rows).toHaveLength(2);
      const [t, w] = rows.map(rowToRecord);
      expect(t).toMatchObject({ ...base, transport: 'tcp', frameHash: String(fh) });
      expect(t.io).toEqual(base.io);
      expect(w).toMatchObject({ ...wialon, extras: undefined, transport: 'udp' });
      const frames = await store.query<{ bytes_hex: string; frame_hash: string }>('SELECT bytes_hex, frame_hash FROM frames');
      expect(frames).toEqual([{ bytes_hex: '010203', frame_hash: String(fh) }]);
    });

    it('shows a resent record once, even when resent on another day over another transport', async () => {
      const resent = { ...base, deviceId: 'dup-1', receivedAt: base.receivedAt + 3 * 86_400_000 };
      const original = { ...base, deviceId: 'dup-1' };
      await store.insertJsonLines('records', recordRow(original, 'tcp', 1));
      await store.insertJsonLines('records', recordRow(resent, 'udp', 2));
      await store.insertJsonLines('records', recordRow({ ...original, speed: 5 }, 'tcp', 1));
      const rows = await store.query<{ n: string }>("SELECT count() AS n FROM records FINAL WHERE device_id = 'dup-1'");
      expect(rows[0].n).toBe('2');
      const raw = await store.query<{ n: string }>("SELECT count() AS n FROM records WHERE device_id = 'dup-1'");
      expect(Number(raw[0].n)).toBeGreaterThanOrEqual(2);
    });

    it('reports errors as rejected promises with the SQL named', async () => {
      await expect(store.query('SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/);
    });
  });
}

describe('partitionDay', () => {
  it('uses the device day when plausible and the receive day otherwise', () => {
    const rx = Date.UTC(2026, 10, 26, 12);
    expect(partitionDay(Date.UTC(2026, 10, 20, 23, 59), rx)).toBe(Math.floor(Date.UTC(2026, 10, 20) / 86_400_000));
    expect(partitionDay(0, rx)).toBe(Math.floor(rx / 86_400_000));
    expect(partitionDay(Date.UTC(2099, 0, 1), rx)).toBe(Math.floor(rx / 86_400_000));
    expect(partitionDay(null, rx)).toBe(Math.floor(rx / 86_400_000));
  });
});
