/**
 * Statements through the API: the draft as canonical JSON and as CSV (UTF-8 with BOM for 1C and
 * spreadsheets), closing periods (and the 409s rating's rules give), the list with totals, the
 * billing run across accounts, and a correction into a closed period billed as an adjustment.
 *
 * Account "acme" (UTC, EUR), tariff "daily": 2.00 per active day, VAT 22 %.
 * d1 is online on May 3, 4 and 5, 2024 → May: 3 × 2.00 = 6.00, VAT 1.32, total 7.32.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryRecord } from '../protocols/record.ts';
import { StatementDoc, StatementPage } from '../api/schemas/statements.ts';
import { CSV_1C, statementCsv } from '../api/services/csv.ts';
import type { StatementDoc as Doc } from '../rating/statement.ts';
import { backends } from './support/backends.ts';
import { expectError, expectSchema, startTestApi, type TestApi, presenceRecord } from './api-support.ts';

const rec = presenceRecord;

describe('statement CSV', () => {
  it('text that a spreadsheet would run as a formula gets a leading apostrophe', () => {
    const doc = { accountId: 'a', accountName: '=HYPERLINK("x")', period: { from: '2024-05-01', to: '2024-06-01' }, status: 'draft', currency: 'EUR', lines: [], adjustments: [], totals: { amount: '0.00', vat: '0.00', total: '0.00' } } as unknown as Doc;
    const row = statementCsv(doc, { separator: ';', decimalComma: false }).split('\r\n')[1];
    expect(row.startsWith('a;"\'=HYPERLINK(""x"")";')).toBe(true);
  });

  const adjusted = (name: string) =>
    ({
      accountId: 'a', accountName: name, period: { from: '2024-05-01', to: '2024-06-01' }, status: 'draft', currency: 'EUR', lines: [],
      adjustments: [{ ref: '-x', tariffId: 't', tariffVersion: 1, originalPeriod: { from: '2024-04-01', to: '2024-05-01' }, unit: 'day', quantity: '-1', amount: '-2.00', vatRate: '22', vat: '-0.44', total: '-2.44' }],
      totals: { amount: '-2.00', vat: '-0.44', total: '-2.44' },
    }) as unknown as Doc;

  it('the guard covers a leading = + - @ tab and CR in text cells; negative numbers stay numbers', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) {
      const row = statementCsv(adjusted(`${lead}1+2`), { separator: ';', decimalComma: false }).split('\r\n')[1];
      expect(row.split(';')[1].replace(/^"|"$/g, ''), JSON.stringify(lead)).toBe(`'${lead}1+2`);
    }
    const [, adj, total] = statementCsv(adjusted('Acme'), { separator: ';', decimalComma: false }).split('\r\n');
    // ref '-x' is text: guarded; quantity, amount, vat, total are numbers: as they are.
    expect(adj).toBe("a;Acme;2024-05-01;2024-06-01;draft;adjustment;'-x;t;;1;2024-04-01;2024-05-01;day;-1;;-2.00;22;-0.44;-2.44;EUR");
    expect(total).toBe('a;Acme;2024-05-01;2024-06-01;draft;total;;;;;;;;;;-2.00;;-0.44;-2.44;EUR');
  });

  it('a numeric cell that is not a plain decimal goes through the text guard', () => {
    const doc = adjusted('Acme') as unknown as { adjustments: { amount: string }[] };
    doc.adjustments[0].amount = '=1+1';
    const adj = statementCsv(doc as unknown as Doc, { separator: ';', decimalComma: true }).split('\r\n')[1];
    expect(adj.split(';')[15]).toBe("'=1+1");
  });

  it('the 1c dialect: decimal comma, inclusive last days beside the exclusive ends', () => {
    const [head, adj, total] = statementCsv(adjusted('Acme'), CSV_1C).split('\r\n');
    expect(head).toBe('\uFEFFaccount_id;account_name;period_from;period_to;period_last_day;status;kind;ref;tariff_id;tariff_name;tariff_version;from;to;last_day;unit;quantity;unit_price;amount;vat_rate;vat;total;currency');
    expect(adj).toBe("a;Acme;2024-05-01;2024-06-01;2024-05-31;draft;adjustment;'-x;t;;1;2024-04-01;2024-05-01;2024-04-30;day;-1;;-2,00;22;-0,44;-2,44;EUR");
    expect(total).toBe('a;Acme;2024-05-01;2024-06-01;2024-05-31;draft;total;;;;;;;;;;;-2,00;;-0,44;-2,44;EUR');
  });
});

for (const backend of backends) {
  describe(`statements on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store);
      await t.post('/v1/accounts', { id: 'acme', name: 'Acme; "Fleet" =1', timeZone: 'UTC', currency: 'EUR' });
      await t.post('/v1/accounts', { id: 'zeta', name: 'Zeta', timeZone: 'UTC', currency: 'EUR' });
      await t.post('/v1/tariffs', { id: 'daily', effectiveFrom: '2020-01-01', definition: { name: 'Daily', unit: 'day', price: { model: 'per-unit', unitPrice: '2.00' }, currency: 'EUR' } });
      // From May 2024: May is the first period to close (periods close in order from the first assignment).
      for (const a of ['acme', 'zeta']) await t.post(`/v1/accounts/${a}/tariff-assignments`, { tariffId: 'daily', effectiveFrom: '2024-05-01' });
      await t.post('/v1/devices', { id: 'd1', protocol: 'teltonika', account: { accountId: 'acme', effectiveFrom: '2024-05-01' } });
      await t.post('/v1/devices', { id: 'd2', protocol: 'teltonika' });
      await t.live.ingest([3, 4, 5].map((d) => rec('d1', Date.UTC(2024, 4, d, 10))));
      await t.live.ingest([20, 21].map((d) => rec('d2', Date.UTC(2024, 4, d, 10)))); // d2 is on no account yet
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('the draft: canonical JSON, byte for byte, with its hash as ETag', async () => {
      const r = await t.http('GET', '/v1/accounts/acme/statements/2024-05', { key: t.keys.read });
      expect(r.status).toBe(200);
      expect(String(r.headers['content-type'])).toMatch(/^application\/json/);
      expectSchema(StatementDoc, r.json);
      expect(r.json).toMatchObject({ status: 'draft', closedAt: null, period: { from: '2024-05-01', to: '2024-06-01' }, totals: { amount: '6.00', vat: '1.32', total: '7.32' } });
      const own = await t.api.services.rating.statement('acme', { from: '2024-05-01', to: '2024-06-01' });
      expect(r.text).toBe(own.json);
      expect(r.headers.etag).toBe(`"${own.hash}"`);
    });

    it('CSV: UTF-8 with BOM, CRLF, semicolons by default, quoted and formula-safe text, a total row', async () => {
      const r = await t.http('GET', '/v1/accounts/acme/statements/2024-05?format=csv', { key: t.keys.read });
      expect(r.status).toBe(200);
      expect(String(r.headers['content-type'])).toBe('text/csv; charset=utf-8');
      expect(String(r.headers['content-disposition'])).toBe('attachment; filename="statement-acme-2024-05.csv"');
      expect(r.text.startsWith('\uFEFF')).toBe(true);
      const lines = r.text.slice(1).split('\r\n');
      expect(lines[0]).toBe('account_id;account_name;period_from;period_to;status;kind;ref;tariff_id;tariff_name;tariff_version;from;to;unit;quantity;unit_price;amount;vat_rate;vat;total;currency');
      expect(lines[1]).toBe('acme;"Acme; ""Fleet"" =1";2024-05-01;2024-06-01;draft;usage;daily@1/2024-05-01..2024-06-01;daily;Daily;1;2024-05-01;2024-06-01;day;3;2;6.00;22;1.32;7.32;EUR');
      expect(lines[2]).toBe('acme;"Acme; ""Fleet"" =1";2024-05-01;2024-06-01;draft;total;;;;;;;;;;6.00;;1.32;7.32;EUR');
      expect(lines[3]).toBe('');
      const comma = await t.call('GET', '/v1/accounts/acme/statements/2024-05?format=csv&separator=comma&decimal=comma');
      expect(comma.text.split('\r\n')[1]).toContain(',3,2,"6,00",22,"1,32","7,32",EUR');
      const ru = await t.call('GET', '/v1/accounts/acme/statements/2024-05?format=csv&dialect=1c');
      expect(ru.status).toBe(200);
      expect(ru.text.split('\r\n')[1]).toBe('acme;"Acme; ""Fleet"" =1";2024-05-01;2024-06-01;2024-05-31;draft;usage;daily@1/2024-05-01..2024-06-01;daily;Daily;1;2024-05-01;2024-06-01;2024-05-31;day;3;2;6,00;22;1,32;7,32;EUR');
      expectError(await t.call('GET', '/v1/accounts/acme/statements/2024-05?format=csv&dialect=ru'), 400, 'FM_ERR_VALIDATION');
      const accept = await t.call('GET', '/v1/accounts/acme/statements/2024-05', { headers: { accept: 'text/csv' } });
      expect(String(accept.headers['content-type'])).toMatch(/^text\/csv/);
    });

    it('closing: 201 frozen; re-close, out of order and not ended are 409 with rating\'s reason', async () => {
      const closed = await t.http('POST', '/v1/accounts/acme/statements/2024-05/close', { key: t.keys.write });
      expect(closed.status).toBe(201);
      expect(closed.json).toMatchObject({ status: 'closed', totals: { total: '7.32' } });
      const again = await t.call('GET', '/v1/accounts/acme/statements/2024-05');
      expect(again.headers['x-statement-status']).toBe('closed');
      expect(again.text).toBe(closed.text);
      const twice = await t.call('POST', '/v1/accounts/acme/statements/2024-05/close');
      expectError(twice, 409, 'FM_ERR_CONFLICT');
      expect(twice.json.details.reason).toBe('FM_RATING_ALREADY_CLOSED');
      expect((await t.call('POST', '/v1/accounts/acme/statements/2024-07/close')).json.details.reason).toBe('FM_RATING_CLOSE_OUT_OF_ORDER');
      const now = new Date();
      const current = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
      expect((await t.call('POST', '/v1/accounts/zeta/statements/' + current + '/close')).json.details.reason).toBe('FM_RATING_PERIOD_NOT_ENDED');
      expectError(await t.call('POST', '/v1/accounts/acme/statements/2024-06/close', { key: t.keys.read }), 403, 'FM_ERR_FORBIDDEN');
    });

    it('a later month first is 409, naming the earliest open period that has an assignment; in order, each closes', async () => {
      await t.post('/v1/accounts', { id: 'late', name: 'Late', timeZone: 'Europe/Moscow', currency: 'EUR' });
      await t.post('/v1/accounts/late/tariff-assignments', { tariffId: 'daily', effectiveFrom: '2024-09-01' });
      await t.post('/v1/devices', { id: 'l1', protocol: 'teltonika', account: { accountId: 'late', effectiveFrom: '2024-09-10' } });
      await t.live.ingest([rec('l1', Date.UTC(2024, 8, 12, 10)), rec('l1', Date.UTC(2024, 9, 12, 10))]);
      const oct = await t.call('POST', '/v1/accounts/late/statements/2024-10/close', { key: t.keys.write });
      expectError(oct, 409, 'FM_ERR_CONFLICT');
      expect(oct.json.details).toEqual({ reason: 'FM_RATING_CLOSE_OUT_OF_ORDER', earliestOpenPeriod: '2024-09' });
      expect((await t.call('GET', '/v1/accounts/late/statements/2024-10')).headers['x-statement-status']).toBe('draft');
      const sep = await t.call('POST', '/v1/accounts/late/statements/2024-09/close', { key: t.keys.write });
      expect(sep.status, sep.text).toBe(201);
      expect(sep.json.totals.total).toBe('2.44');
      const again = await t.call('POST', '/v1/accounts/late/statements/2024-11/close');
      expect(again.json.details).toEqual({ reason: 'FM_RATING_CLOSE_OUT_OF_ORDER', earliestOpenPeriod: '2024-10' });
      expect((await t.call('POST', '/v1/accounts/late/statements/2024-10/close')).json.totals.total).toBe('2.44');
    });

    it('a correction into a closed period: 409 without the flag; with it, the next draft carries the adjustment', async () => {
      const late = await t.call('POST', '/v1/devices/d2/assignments', { body: { accountId: 'acme', effectiveFrom: '2024-05-15' } });
      expectError(late, 409, 'FM_ERR_EFFECTIVE_DATE_CONFLICT');
      expect(late.json.details.conflicts).toEqual([{ accountId: 'acme', closedPeriod: { from: '2024-05-01', to: '2024-06-01' } }]);
      expect((await t.call('POST', '/v1/devices/d2/assignments', { body: { accountId: 'acme', effectiveFrom: '2024-05-15', correction: true } })).status).toBe(201);
      // May stays as invoiced; June's draft adds May 20 and 21 for d2: 2 × 2.00 = 4.00 + 0.88 VAT.
      const may = await t.call('GET', '/v1/accounts/acme/statements/2024-05');
      expect(may.json.totals.total).toBe('7.32');
      const june = await t.call('GET', '/v1/accounts/acme/statements/2024-06');
      expect(june.json.adjustments).toEqual([expect.objectContaining({ originalPeriod: { from: '2024-05-01', to: '2024-06-01' }, quantity: '2', amount: '4.00', vat: '0.88', total: '4.88', devices: [{ deviceId: 'd2', quantity: '2' }] })]);
    });

    it('the list: closed snapshots and open drafts with totals, newest first, paged and filtered', async () => {
      const r = await t.call('GET', '/v1/accounts/acme/statements?to=2024-08-01', { key: t.keys.read });
      expectSchema(StatementPage, r.json);
      expect(r.json.items.map((s: { period: { from: string }; status: string; totals: { total: string } }) => [s.period.from, s.status, s.totals.total])).toEqual([
        ['2024-07-01', 'draft', '0.00'],
        ['2024-06-01', 'draft', '4.88'],
        ['2024-05-01', 'closed', '7.32'],
      ]);
      const closed = await t.call('GET', '/v1/accounts/acme/statements?status=closed');
      expect(closed.json.items).toHaveLength(1);
      expect(closed.json.items[0].hash).toMatch(/^[0-9a-f]{64}$/);
      const p1 = await t.call('GET', '/v1/accounts/acme/statements?to=2024-08-01&limit=2&sort=period');
      expect(p1.json.items.map((s: { period: { from: string } }) => s.period.from)).toEqual(['2024-05-01', '2024-06-01']);
      const p2 = await t.call('GET', `/v1/accounts/acme/statements?to=2024-08-01&limit=2&sort=period&cursor=${p1.json.nextCursor}`);
      expect(p2.json.items.map((s: { period: { from: string } }) => s.period.from)).toEqual(['2024-07-01']);
      expect(p2.json.nextCursor).toBeNull();
    });

    it('the billing run: every account\'s statement for a period', async () => {
      const r = await t.http('GET', '/v1/statements?period=2024-05', { key: t.keys.read });
      expect(r.status).toBe(200);
      expect(r.json.items.map((s: { accountId: string; status: string; totals: { total: string } }) => [s.accountId, s.status, s.totals.total])).toEqual([
        ['acme', 'closed', '7.32'],
        ['late', 'draft', '0.00'],
        ['zeta', 'draft', '0.00'],
      ]);
      expect((await t.call('GET', '/v1/statements?period=2024-05&status=draft')).json.items.map((s: { accountId: string }) => s.accountId)).toEqual(['late', 'zeta']);
    });

    it('errors: unknown account 404, bad periods 400', async () => {
      expectError(await t.call('GET', '/v1/accounts/nobody/statements/2024-05'), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('GET', '/v1/accounts/nobody/statements'), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('POST', '/v1/accounts/nobody/statements/2024-05/close'), 404, 'FM_ERR_NOT_FOUND');
      for (const p of ['2024-13', '2024-06-10..2024-06-01', 'may', '2024-02-30..2024-03-05']) expectError(await t.call('GET', `/v1/accounts/acme/statements/${p}`), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('GET', '/v1/statements'), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('GET', '/v1/accounts/acme/statements/2024-05?format=docx'), 400, 'FM_ERR_VALIDATION');
      // PDF documents need the provider's requisites (--provider-file); this API has none (docs/documents.md).
      const pdf = await t.call('GET', '/v1/accounts/acme/statements/2024-05?format=pdf');
      expectError(pdf, 409, 'FM_ERR_CONFLICT');
      expect(pdf.json.details.reason).toBe('FM_DOCUMENTS_NO_PROVIDER');
    });
  });
}
