import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryRecord } from '../protocols/record.ts';
import { backends } from '../test/support/backends.ts';
import { migrate, storeMigrations, type Store } from './index.ts';
import { FRAME_COLUMNS, FRAME_HEX_SQL, RECORD_COLUMNS, frameRow, hashBytes, ioFromText, ioToText, partitionDay, recordRows, rowToRecord, type RecordRow } from './records.ts';
import { readRows } from './row-binary.ts';

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

describe('records RowBinary codec', () => {
  it('IO text round-trips every value kind, in order, duplicates kept', () => {
    const io = [
      { id: 1, value: 0 },
      { id: 1, value: -1.5 },
      { id: 'fuel', value: 12.25 },
      { id: '7', value: 'seven' },
      { id: 78, value: 18446744073709551615n },
      { id: 385, value: Uint8Array.from([0, 0xff]) },
      { id: 'ign', value: false },
      { id: 'bad', value: Infinity },
    ];
    expect(ioToText(io)).toBe('[[1,0],[1,-1.5],["fuel",12.25],["7","seven"],[78,{"b":"18446744073709551615"}],[385,{"x":"00ff"}],["ign",false],["bad",{"n":"Infinity"}]]');
    expect(ioFromText(ioToText(io))).toEqual(io);
    expect(ioFromText('[]')).toEqual([]);
  });

  it('a row has one value per column, NULL as NULL, and the same hash for the same content however it arrived', () => {
    const col = (name: string) => RECORD_COLUMNS.findIndex((c) => c.name === name);
    const [fields] = readRows(recordRows([{ ...base, altitude: null }], 'tcp', 5), RECORD_COLUMNS);
    expect(fields).toHaveLength(RECORD_COLUMNS.length);
    expect(fields[col('altitude')]).toBeNull();
    expect(fields[col('latitude')]).toBe(54.6872633);
    expect(fields[col('transport')]).toBe('tcp');
    expect(fields[col('io')]).toBe(ioToText(base.io));
    expect(fields[col('day')]).toBe(partitionDay(base.deviceTime, base.receivedAt));
    const [again] = readRows(recordRows([{ ...base, altitude: null, receivedAt: base.receivedAt + 86_400_000 }], 'udp', 6), RECORD_COLUMNS);
    expect(again[col('record_hash')]).toBe(fields[col('record_hash')]);
    const [changed] = readRows(recordRows([{ ...base, altitude: 1 }], 'tcp', 5), RECORD_COLUMNS);
    expect(changed[col('record_hash')]).not.toBe(fields[col('record_hash')]);
    expect(readRows(frameRow('d', 'teltonika', 'tcp', base.receivedAt, 7, Uint8Array.from([0x41, 0x42])), FRAME_COLUMNS)).toEqual([['d', Math.floor(base.receivedAt / 86_400_000), 7, 'teltonika', 'tcp', base.receivedAt, 'AB']]);
  });
});

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
      expect(first.applied).toEqual(['0001_records', '0002_frames', '0003_records_io', '0004_frames_bytes', '0005_claims']);
      const second = await migrate(store, storeMigrations);
      expect(second.applied).toEqual([]);
      expect(second.alreadyApplied).toEqual(['0001_records', '0002_frames', '0003_records_io', '0004_frames_bytes', '0005_claims']);
    });

    it('a guarded statement runs only while its skipIf finds nothing (ADD COLUMN has no IF NOT EXISTS on 18.16)', async () => {
      const guard = (name: string) => `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'records' AND name = '${name}'`;
      const report = await migrate(store, [
        // The column exists already (0003): as after a crash between the ALTER and its ledger row.
        { id: '9901_test_guard_existing', statements: [{ sql: "ALTER TABLE records ADD COLUMN io String DEFAULT ''", skipIf: guard('io') }] },
        { id: '9902_test_guard_new', statements: [{ sql: "ALTER TABLE records ADD COLUMN probe String DEFAULT ''", skipIf: guard('probe') }] },
      ]);
      expect(report.applied).toEqual(['9901_test_guard_existing', '9902_test_guard_new']);
      expect(await store.query(guard('probe'))).toHaveLength(1);
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
      await store.insertRowBinary('records', RECORD_COLUMNS, Buffer.concat([recordRows([base], 'tcp', fh), recordRows([wialon], 'udp', fh)]));
      await store.insertRowBinary('frames', FRAME_COLUMNS, frameRow(base.deviceId, 'teltonika', 'tcp', base.receivedAt, fh, frame));
      const rows = await store.query<RecordRow>('SELECT * FROM records FINAL ORDER BY device_id');
      expect(rows).toHaveLength(2);
      const [t, w] = rows.map(rowToRecord);
      expect(t).toMatchObject({ ...base, transport: 'tcp', frameHash: String(fh) });
      expect(t.io).toEqual(base.io);
      expect(w).toMatchObject({ ...wialon, extras: undefined, transport: 'udp' });
      const frames = await store.query<{ bytes_hex: string; frame_hash: string }>(`SELECT ${FRAME_HEX_SQL} AS bytes_hex, frame_hash FROM frames`);
      expect(frames).toEqual([{ bytes_hex: '010203', frame_hash: String(fh) }]);
    });

    it('shows a resent record once, even when resent on another day over another transport', async () => {
      const resent = { ...base, deviceId: 'dup-1', receivedAt: base.receivedAt + 3 * 86_400_000 };
      const original = { ...base, deviceId: 'dup-1' };
      await store.insertRowBinary('records', RECORD_COLUMNS, recordRows([original], 'tcp', 1));
      await store.insertRowBinary('records', RECORD_COLUMNS, recordRows([resent], 'udp', 2));
      await store.insertRowBinary('records', RECORD_COLUMNS, recordRows([{ ...original, speed: 5 }], 'tcp', 1));
      const rows = await store.query<{ n: string }>("SELECT count() AS n FROM records FINAL WHERE device_id = 'dup-1'");
      expect(rows[0].n).toBe('2');
      const raw = await store.query<{ n: string }>("SELECT count() AS n FROM records WHERE device_id = 'dup-1'");
      expect(Number(raw[0].n)).toBeGreaterThanOrEqual(2);
    });

    it('reads frames stored before migration 0004 (hex) and after (bytes) as the same hex', async () => {
      await store.insert('frames', [{ device_id: 'legacy-f', day: '2024-01-02', frame_hash: 1, protocol: 'teltonika', transport: 'tcp', received_ts: 1704153601000, bytes_hex: 'cafe01' }]);
      await store.insertRowBinary('frames', FRAME_COLUMNS, frameRow('legacy-f', 'teltonika', 'tcp', 1704153602000, 2, Uint8Array.from([0xca, 0xfe, 0x02, 0x00, 0x0a])));
      const rows = await store.query<{ h: string }>(`SELECT ${FRAME_HEX_SQL} AS h FROM frames FINAL WHERE device_id = 'legacy-f' ORDER BY frame_hash`);
      expect(rows.map((r) => r.h)).toEqual(['cafe01', 'cafe02000a']);
    });

    it('reads rows stored before migration 0003 through the IO arrays', async () => {
      await store.insert('records', [
        { device_id: 'legacy-1', day: '2024-01-02', device_ts: 1704153600000, has_device_time: 1, protocol: 'teltonika', transport: 'tcp', received_ts: 1704153601000, latitude: 1, longitude: 2, altitude: null, speed: null, course: null, satellites: null, hdop: null, valid: 1, priority: null, event_id: null, archive: 0, io_ids: ['21', '78'], io_kinds: ['n', 'b'], io_values: ['3', '18446744073709551615'], extras: '{}', frame_hash: 1, record_hash: 2 },
      ]);
      const [row] = await store.query<RecordRow>("SELECT * FROM records FINAL WHERE device_id = 'legacy-1'");
      expect(rowToRecord(row).io).toEqual([{ id: 21, value: 3 }, { id: 78, value: 18446744073709551615n }]);
    });

    it('keeps tabs, newlines, backslashes and NUL in text exactly', async () => {
      const odd: TelemetryRecord = { ...base, deviceId: 'odd\tid\\x', io: [{ id: 'a\tb', value: 'line1\nline2\r\\end\u0000' }, { id: 'nan', value: NaN }], extras: { note: 'tab\there' } };
      await store.insertRowBinary('records', RECORD_COLUMNS, recordRows([odd], 'tcp', 9));
      const [row] = await store.query<RecordRow>("SELECT * FROM records FINAL WHERE device_id = 'odd\\tid\\\\x'");
      const back = rowToRecord(row);
      expect(back.deviceId).toBe(odd.deviceId);
      expect(back.io).toEqual(odd.io);
      expect(back.extras).toEqual(odd.extras);
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
