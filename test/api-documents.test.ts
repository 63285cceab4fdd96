/**
 * Payment documents through the API (docs/documents.md): the invoice and the act as PDF (read back
 * with Debian's pdftotext), the XLSX workbook (read back with exceljs), numbering, drafts, English.
 *
 * Provider: TEST_PROVIDER. Account "acme" (UTC, RUB) with customer requisites and a contract,
 * tariff "daily": 400.17 RUB per active day, 2 days included, VAT 20 %.
 * d1 online May 3–5 2024, d2 May 10–13 → 7 day units, 2 free, 5 × 400.17 = 2 000.85,
 * VAT 400.17, total 2 401.02 («Две тысячи четыреста один рубль 02 копейки»).
 * Account "beta" (RUB), tariff "flat": 1 000.00 per day, VAT 20 %; b1 online May 3 → 1 200.00.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentNumbers } from '../api/documents/numbering.ts';
import { DocumentsService } from '../api/services/documents.ts';
import type { StatementDoc } from '../rating/statement.ts';
import { Claims } from '../store/claims.ts';
import { backends } from './support/backends.ts';
import { pdfPages, squash } from './support/pdf.ts';
import { TEST_PROVIDER as P } from './support/provider.ts';
import { expectError, presenceRecord as rec, startTestApi, type TestApi } from './api-support.ts';

const CUSTOMER = { legalName: 'ООО «Акме Логистик»', inn: '7701234567', kpp: '770101001', address: '101000, г. Москва, ул. Мясницкая, д. 1' };

/** A binary download through the socket. */
async function download(t: TestApi, url: string, key = t.keys.read) {
  const r = await fetch(`http://127.0.0.1:${t.api.port}${url}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

/** 2001.5 → "2 001,50" (ru) / "2,001.50" (en): written here independently of the renderer. */
const ru = (s: string) => {
  const [w, f = ''] = s.split('.');
  return `${w.replace(/\B(?=(\d{3})+(?!\d))/g, ' ')}${f === '' ? '' : ',' + f}`;
};

for (const backend of backends) {
  describe(`payment documents on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    let may: StatementDoc;
    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store, { provider: P });
      await t.post('/v1/accounts', { id: 'acme', name: 'Acme', timeZone: 'UTC', currency: 'RUB', billing: { contractRef: 'Д-17/2024', paymentTermDays: 10, requisites: CUSTOMER } });
      await t.post('/v1/accounts', { id: 'beta', name: 'Beta Trans', timeZone: 'UTC', currency: 'RUB' });
      await t.post('/v1/tariffs', { id: 'daily', effectiveFrom: '2020-01-01', definition: { name: 'Посуточный', unit: 'day', price: { model: 'per-unit', unitPrice: '400.17' }, includedUnits: '2', vatRate: '20', currency: 'RUB' } });
      await t.post('/v1/tariffs', { id: 'flat', effectiveFrom: '2020-01-01', definition: { name: 'Flat', unit: 'day', price: { model: 'per-unit', unitPrice: '1000.00' }, vatRate: '20', currency: 'RUB' } });
      await t.post('/v1/accounts/acme/tariff-assignments', { tariffId: 'daily', effectiveFrom: '2024-05-01' });
      await t.post('/v1/accounts/beta/tariff-assignments', { tariffId: 'flat', effectiveFrom: '2024-05-01' });
      await t.post('/v1/devices', { id: 'd1', protocol: 'teltonika', account: { accountId: 'acme', effectiveFrom: '2024-05-01' } });
      await t.post('/v1/devices', { id: 'd2', protocol: 'teltonika', account: { accountId: 'acme', effectiveFrom: '2024-05-01' } });
      await t.post('/v1/devices', { id: 'b1', protocol: 'teltonika', account: { accountId: 'beta', effectiveFrom: '2024-05-01' } });
      await t.live.ingest([
        ...[3, 4, 5].map((d) => rec('d1', Date.UTC(2024, 4, d, 10))),
        ...[10, 11, 12, 13].map((d) => rec('d2', Date.UTC(2024, 4, d, 10))),
        rec('b1', Date.UTC(2024, 4, 3, 10)),
        rec('d1', Date.UTC(2024, 5, 7, 10)), // June stays a draft
      ]);
      for (const a of ['acme', 'beta']) expect((await t.call('POST', `/v1/accounts/${a}/statements/2024-05/close`, { key: t.keys.write })).status).toBe(201);
      may = (await t.call('GET', '/v1/accounts/acme/statements/2024-05')).json;
      expect(may.totals).toEqual({ amount: '2000.85', vat: '400.17', total: '2401.02' });
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('the customer\'s requisites are account fields, validated', async () => {
      const a = await t.call('GET', '/v1/accounts/acme', { key: t.keys.read });
      expect(a.json.billing.requisites).toEqual(CUSTOMER);
      expectError(await t.call('PATCH', '/v1/accounts/beta', { body: { billing: { requisites: { inn: '12345' } } } }), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('PATCH', '/v1/accounts/beta', { body: { billing: { requisites: { bank: 'x' } } } }), 400, 'FM_ERR_VALIDATION');
    });

    it('the invoice: PDF with both parties\' requisites, every line\'s figures, the statement\'s totals and the total in words', async () => {
      const r = await download(t, '/v1/accounts/acme/statements/2024-05?format=pdf');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/pdf');
      const no = Number(r.headers.get('x-document-number'));
      expect(no).toBeGreaterThan(0);
      expect(r.headers.get('content-disposition')).toBe(`attachment; filename="invoice-${no}-acme-2024-05.pdf"`);
      expect(r.bytes.subarray(0, 5).toString()).toBe('%PDF-');
      const pages = pdfPages(r.bytes);
      expect(pages.length).toBeGreaterThanOrEqual(2);
      const text = squash(pages.join('\n'));
      const closedOn = new Date().toISOString().slice(0, 10); // closed just now, in UTC
      const [y, m, d] = closedOn.split('-').map(Number);
      const months = ['января', 'февраля', 'марта', 'апреля', 'мая', 'июня', 'июля', 'августа', 'сентября', 'октября', 'ноября', 'декабря'];
      expect(text).toContain(`Счёт на оплату № ${no} от ${d} ${months[m - 1]} ${y} г.`);
      for (const v of [P.name, P.inn, P.kpp!, P.bankName, P.bic, P.correspondentAccount, P.settlementAccount, P.signatoryName, P.accountantName!]) expect(text).toContain(v);
      expect(text).toContain(squash(P.address));
      for (const v of [CUSTOMER.legalName, `ИНН ${CUSTOMER.inn}`, `КПП ${CUSTOMER.kpp}`, CUSTOMER.address]) expect(text).toContain(v);
      expect(text).toContain('Договор Д-17/2024');
      expect(text).toContain('Период оказания услуг: 01.05.2024–31.05.2024');
      // Every line's figures, in the line's row.
      const rows = pages[0].split('\n');
      for (const [i, l] of may.lines.entries()) {
        const row = squash(rows.find((x) => x.trimStart().startsWith(`${i + 1} `))!);
        const price = l.pricing?.model === 'per-unit' ? l.pricing.unitPrice : '0.00';
        expect(row).toContain(`${l.quantity} дн. ${ru(price)} ${ru(l.amount)} ${l.vatRate}% ${ru(l.vat)} ${ru(l.total)}`);
      }
      expect(may.lines.map((l) => [l.kind, l.quantity, l.amount])).toEqual([['included', '2', '0.00'], ['usage', '5', '2000.85']]);
      expect(text).toContain(`Итого без НДС: ${ru(may.totals.amount)} RUB`);
      expect(text).toContain(`НДС: ${ru(may.totals.vat)} RUB`);
      expect(text).toContain(`Всего к оплате: ${ru(may.totals.total)} RUB`);
      expect(text).toContain('Всего наименований 2, на сумму 2 401,02 RUB');
      expect(text).toContain('Две тысячи четыреста один рубль 02 копейки');
      expect(text).not.toContain('ЧЕРНОВИК');
      expect(pdfPages(r.bytes, { raw: true }).every((p) => !p.includes('ЧЕРНОВИК'))).toBe(true);
      // Appendix: every device with its minutes and units.
      const appendix = squash(pages[pages.length - 1]);
      expect(appendix).toContain('Приложение: детализация по устройствам');
      for (const dev of may.devices) expect(appendix).toMatch(new RegExp(`${dev.deviceId} ${dev.onlineMinutes} ${dev.implausibleMinutes} стр\\. 2: ${dev.units[0].quantity} дн\\.`));
    });

    it('the act: dated the last day of the period, the same lines and totals, in words', async () => {
      const r = await download(t, '/v1/accounts/acme/statements/2024-05?format=pdf&document=act');
      expect(r.status).toBe(200);
      const no = Number(r.headers.get('x-document-number'));
      expect(r.headers.get('content-disposition')).toBe(`attachment; filename="act-${no}-acme-2024-05.pdf"`);
      const text = squash(pdfPages(r.bytes).join('\n'));
      expect(text).toContain(`Акт об оказании услуг № ${no} от 31 мая 2024 г.`);
      expect(text).toContain(`Исполнитель: ${P.name}, ИНН ${P.inn}`);
      expect(text).toContain(`Заказчик: ${CUSTOMER.legalName}, ИНН ${CUSTOMER.inn}`);
      expect(text).toContain('5 дн. 400,17 2 000,85 20% 400,17 2 401,02');
      expect(text).toContain('Всего оказано услуг 2, на сумму 2 401,02 RUB, в том числе НДС 400,17 RUB');
      expect(text).toContain('Две тысячи четыреста один рубль 02 копейки');
      expect(text).toContain('претензий по объёму, качеству и срокам');
      expect(text).not.toContain(P.settlementAccount); // bank details are the invoice's
    });

    it('English with lang=en', async () => {
      const r = await download(t, '/v1/accounts/acme/statements/2024-05?format=pdf&lang=en');
      const no = Number(r.headers.get('x-document-number'));
      expect(r.headers.get('content-disposition')).toBe(`attachment; filename="invoice-${no}-acme-2024-05-en.pdf"`);
      const text = squash(pdfPages(r.bytes).join('\n'));
      expect(text).toContain(`Invoice No. ${no} of `);
      expect(text).toContain('5 day 400.17 2,000.85 20% 400.17 2,401.02');
      expect(text).toContain('Total due: 2,401.02 RUB');
      expect(text).toContain('Two thousand four hundred one rubles 02 kopecks');
      const act = squash(pdfPages((await download(t, '/v1/accounts/acme/statements/2024-05?format=pdf&document=act&lang=en')).bytes).join('\n'));
      expect(act).toContain('Act of services rendered No. ');
      expect(act).toContain('of 31 May 2024');
    });

    it('numbers: stable across downloads, distinct across statements, per kind', async () => {
      const num = async (url: string) => Number((await download(t, url)).headers.get('x-document-number'));
      const a1 = await num('/v1/accounts/acme/statements/2024-05?format=pdf');
      const a2 = await num('/v1/accounts/acme/statements/2024-05?format=pdf&lang=en');
      const b1 = await num('/v1/accounts/beta/statements/2024-05?format=pdf');
      const b2 = await num('/v1/accounts/beta/statements/2024-05?format=pdf');
      expect(a2).toBe(a1);
      expect(b2).toBe(b1);
      expect(b1).not.toBe(a1);
      expect(new Set([a1, b1])).toEqual(new Set([1, 2])); // a fresh database: the year's first two invoices
      const act = await num('/v1/accounts/beta/statements/2024-05?format=pdf&document=act');
      expect(act).toBeGreaterThan(0);
      expect(await num('/v1/accounts/beta/statements/2024-05?format=pdf&document=act')).toBe(act);
      const beta = squash(pdfPages((await download(t, '/v1/accounts/beta/statements/2024-05?format=pdf')).bytes).join('\n'));
      expect(beta).toContain(`№ ${b1} от`);
      expect(beta).toContain('Покупатель: Beta Trans'); // no requisites: the account name
      expect(beta).toContain('Основание: лицевой счёт beta');
      expect(beta).toContain('Одна тысяча двести рублей 00 копеек');
    });

    it('two instances issuing at once: one number per document, never one number twice', async () => {
      const store = t.services.store;
      const a = new DocumentNumbers(store, new Claims(store, { settleMs: 100 }));
      const b = new DocumentNumbers(store, new Claims(store, { settleMs: 100 }));
      const ref = (accountId: string) => ({ provider: 'p-race', kind: 'invoice' as const, accountId, period: { from: '2024-05-01', to: '2024-06-01' }, date: '2024-06-03' });
      const got = await Promise.all([a.issue(ref('x')), b.issue(ref('x')), a.issue(ref('y')), b.issue(ref('z'))]);
      expect(got[0].number).toBe(got[1].number);
      expect(new Set(got.slice(1).map((g) => g.number)).size).toBe(3);
      expect(new Set(got.map((g) => g.number))).toEqual(new Set([1, 2, 3]));
      expect((await b.issue(ref('y'))).number).toBe(got[2].number);
    });

    it('a draft: marked on every page, not numbered', async () => {
      for (const [q, mark] of [['format=pdf', 'ЧЕРНОВИК'], ['format=pdf&document=act', 'ЧЕРНОВИК'], ['format=pdf&lang=en', 'DRAFT']] as const) {
        const r = await download(t, `/v1/accounts/acme/statements/2024-06?${q}`);
        expect(r.status).toBe(200);
        expect(r.headers.get('x-document-number')).toBeNull();
        expect(r.headers.get('content-disposition')).toMatch(/filename="(invoice|act)-acme-2024-06-draft(-en)?\.pdf"/);
        const pages = pdfPages(r.bytes, { raw: true });
        expect(pages.length).toBeGreaterThanOrEqual(2);
        // The mark across the page: a line of its own on every page (titles say "(ЧЕРНОВИК)" too).
        for (const p of pages) expect(p.split('\n').map((l) => l.trim())).toContain(mark);
      }
    });

    it('an adjustment (a correction into closed May) is a line of the next draft, in the PDF and the workbook', async () => {
      await t.post('/v1/devices', { id: 'b2', protocol: 'teltonika' });
      await t.live.ingest([rec('b2', Date.UTC(2024, 4, 20, 10))]);
      expect((await t.call('POST', '/v1/devices/b2/assignments', { body: { accountId: 'beta', effectiveFrom: '2024-05-15', correction: true } })).status).toBe(201);
      const june = (await t.call('GET', '/v1/accounts/beta/statements/2024-06')).json as StatementDoc;
      expect(june.adjustments).toEqual([expect.objectContaining({ quantity: '1', amount: '1000.00', vat: '200.00', total: '1200.00' })]);
      const text = squash(pdfPages((await download(t, '/v1/accounts/beta/statements/2024-06?format=pdf')).bytes).join('\n'));
      const no = june.lines.length + 1;
      // The description wraps in its cell: the row reads "2 Корректировка за 01.05.2024– 1 дн. — … 31.05.2024, тариф flat".
      expect(text).toContain(`${no} Корректировка за 01.05.2024– 1 дн. — 1 000,00 20% 200,00 1 200,00 31.05.2024, тариф flat`);
      expect(text).toContain(`Всего к оплате: ${ru(june.totals.total)} RUB`);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load((await download(t, '/v1/accounts/beta/statements/2024-06?format=xlsx')).bytes as never);
      const row = wb.getWorksheet('Строки')!.getRow(no + 1);
      expect([row.getCell(2).value, row.getCell(5).value, row.getCell(7).value, row.getCell(9).value, row.getCell(10).value, row.getCell(13).value]).toEqual(['adjustment', new Date('2024-05-01T00:00:00Z'), 1, null, 1000, 1200]);
    });

    it('XLSX: numbers as numbers, dates as dates, a sheet of lines and one of devices', async () => {
      const r = await download(t, '/v1/accounts/acme/statements/2024-05?format=xlsx');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      expect(r.headers.get('content-disposition')).toBe('attachment; filename="statement-acme-2024-05.xlsx"');
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(r.bytes as never);
      const lines = wb.getWorksheet('Строки')!;
      expect(lines.getRow(1).getCell(7).value).toBe('Количество');
      may.lines.forEach((l, i) => {
        const row = lines.getRow(i + 2);
        expect(row.getCell(1).value).toBe(i + 1);
        expect(row.getCell(2).value).toBe(l.kind);
        expect(row.getCell(5).value).toEqual(new Date(`${l.segment.from}T00:00:00Z`));
        expect(row.getCell(6).value).toEqual(new Date('2024-05-31T00:00:00Z'));
        expect(row.getCell(5).numFmt).toBe('dd.mm.yyyy');
        expect([7, 10, 11, 12, 13].map((c) => row.getCell(c).value)).toEqual([Number(l.quantity), Number(l.amount), Number(l.vatRate), Number(l.vat), Number(l.total)]);
      });
      expect(lines.getRow(3).getCell(9).value).toBe(400.17);
      const total = lines.getRow(may.lines.length + 2);
      expect([10, 12, 13].map((c) => total.getCell(c).value)).toEqual([2000.85, 400.17, 2401.02]);
      const devices = wb.getWorksheet('Устройства')!;
      may.devices.forEach((d, i) => {
        const row = devices.getRow(i + 2);
        expect([row.getCell(1).value, row.getCell(2).value, row.getCell(3).value, row.getCell(4).value]).toEqual([d.deviceId, d.onlineMinutes, d.implausibleMinutes, Number(d.units[0].quantity)]);
      });
      const en = new ExcelJS.Workbook();
      await en.xlsx.load((await download(t, '/v1/accounts/acme/statements/2024-05?format=xlsx&lang=en')).bytes as never);
      expect(en.worksheets.map((w) => w.name)).toEqual(['Lines', 'Devices', 'Summary']);
      expect(en.getWorksheet('Summary')!.getRow(3).getCell(2).value).toEqual(new Date('2024-05-01T00:00:00Z'));
    });

    it('without a provider configured, PDFs are refused (409); unknown account 404; a read key suffices', async () => {
      const none = new DocumentsService(t.services.snapshots, new DocumentNumbers(t.services.store, t.services.claims), null);
      const r = await t.api.services.statements.get('acme', '2024-05');
      await expect(none.pdf(r, 'invoice', 'ru')).rejects.toMatchObject({ code: 'FM_ERR_CONFLICT', details: { reason: 'FM_DOCUMENTS_NO_PROVIDER' } });
      expect((await none.xlsx(r, 'ru')).bytes.length).toBeGreaterThan(0);
      expectError(await t.call('GET', '/v1/accounts/nope/statements/2024-05?format=pdf'), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('GET', '/v1/accounts/acme/statements/2024-05?format=pdf&document=bill'), 400, 'FM_ERR_VALIDATION');
    });
  });
}
