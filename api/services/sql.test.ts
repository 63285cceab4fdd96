/** The API's SQL builders, as text (no database): escaping, keyset conditions, portable syntax. */
import { describe, expect, it } from 'vitest';
import { auditWhere } from './audit.ts';
import { deviceLastSql } from './fleet.ts';
import { framesSql, recordsPageSql } from './records.ts';

describe('API SQL builders', () => {
  it('records: newest first, keyset after (device_ts, record_hash), one more row than the page', () => {
    expect(recordsPageSql("dev'1", { fromMs: 1000, toMs: 2000, after: { ts: 1500, hash: 18446744073709551615n } }, 50)).toBe(
      "SELECT * FROM records FINAL WHERE device_id = 'dev\\'1' AND device_ts >= 1000 AND device_ts < 2000 AND (device_ts < 1500 OR (device_ts = 1500 AND record_hash < 18446744073709551615)) ORDER BY device_ts DESC, record_hash DESC LIMIT 51",
    );
    expect(recordsPageSql('d', {}, 10)).toBe("SELECT * FROM records FINAL WHERE device_id = 'd' ORDER BY device_ts DESC, record_hash DESC LIMIT 11");
  });

  it('frames of a page by hash; hashes must be integers', () => {
    expect(framesSql('d', ['12', '34'])).toBe("SELECT toString(frame_hash) AS hash, toString(received_ts) AS received, transport, if(bytes_hex != '', bytes_hex, lower(hex(bytes))) AS bytes_hex FROM frames FINAL WHERE device_id = 'd' AND frame_hash IN (12, 34)");
    expect(() => framesSql('d', ['1; DROP TABLE records'])).toThrow();
  });

  it('device_last_seen: all devices, or those inserted since a server-clock second; aliases never shadow columns', () => {
    expect(deviceLastSql(null)).not.toMatch(/HAVING/);
    const sql = deviceLastSql(1_700_000_000);
    expect(sql).toMatch(/HAVING maxMerge\(inserted\) >= toDateTime\(1700000000\)$/);
    for (const column of ['inserted', 'last_received', 'first_received', 'protocol', 'pos_ts', 'pos_lat', 'pos_lon', 'pos_speed', 'pos_course']) expect(sql).not.toMatch(new RegExp(`AS ${column}\\b`));
  });

  it('audit filters are escaped', () => {
    expect(auditWhere({ entityType: 'account', entityId: "o'hara", from: '2024-01-01T00:00:00.000Z' })).toBe("WHERE entity_type = 'account' AND entity_id = 'o\\'hara' AND ts >= 1704067200000");
    expect(auditWhere({})).toBe('');
  });
});
