/**
 * Allocation and statement states, figures by hand in the comments. Account in RUB, terms 10 days.
 * Statements: 2026-08 closed 2026-09-02 (due 09-12) 1 000.00; 2026-09 closed 10-02 (due 10-12)
 * 2 500.50; 2026-10 closed 11-03 (due 11-13) 12 345.67.
 */
import { describe, expect, it } from 'vitest';
import { allocate, type BilledStatement, type PostedPayment, spacedMoney } from './allocation.ts';

const st = (id: string, closedOn: string, total: string): BilledStatement => ({ id, period: { from: `${id}-01`, to: closedOn.slice(0, 8) + '01' }, closedOn, total });
const statements = [st('2026-09', '2026-10-02', '2500.50'), st('2026-08', '2026-09-02', '1000'), st('2026-10', '2026-11-03', '12345.67')];
const pay = (id: string, amount: string, date: string, postedAt = 0, reversed = false): PostedPayment => ({ id, amount, date, postedAt, reversed });
const run = (today: string, payments: PostedPayment[], s = statements) => allocate({ currency: 'RUB', today, dueDays: 10, statements: s, payments });
const states = (b: ReturnType<typeof run>) => b.statements.map((s) => [s.id, s.state, s.paid, s.remaining]);

describe('allocation to closed statements', () => {
  it('nothing paid: all unpaid before their due dates, overdue after', () => {
    const b = run('2026-09-12', []);
    expect(states(b)).toEqual([
      ['2026-08', 'unpaid', '0.00', '1000.00'],
      ['2026-09', 'unpaid', '0.00', '2500.50'],
      ['2026-10', 'unpaid', '0.00', '12345.67'],
    ]);
    expect(b.statements[0].dueDate).toBe('2026-09-12');
    // The day after the due date: overdue, 1 day past due.
    const late = run('2026-09-13', []);
    expect(late.statements[0]).toMatchObject({ state: 'overdue', daysPastDue: 1 });
    expect(late.overdue).toBe('1000.00');
    expect(late).toMatchObject({ billed: '15846.17', paid: '0.00', balance: '15846.17', credit: '0.00' });
  });

  it('oldest first, a payment split over two statements; order by value date, not posting order', () => {
    // p2 (value date 09-20, 1 200.00) was posted before p1 (09-05, 500.00) but p1 is older: p1 pays 500 of 2026-08,
    // p2 pays the other 500 of 2026-08 and 700 of 2026-09 (1 800.50 left).
    const b = run('2026-10-05', [pay('p2', '1200', '2026-09-20', 1), pay('p1', '500.00', '2026-09-05', 2)]);
    expect(states(b)).toEqual([
      ['2026-08', 'paid', '1000.00', '0.00'],
      ['2026-09', 'partially_paid', '700.00', '1800.50'],
      ['2026-10', 'unpaid', '0.00', '12345.67'],
    ]);
    expect(b.statements[0].allocations).toEqual([
      { source: 'p1', amount: '500.00' },
      { source: 'p2', amount: '500.00' },
    ]);
    expect(b.statements[1].allocations).toEqual([{ source: 'p2', amount: '700.00' }]);
    expect(b).toMatchObject({ paid: '1700.00', balance: '14146.17', overdue: '0.00' });
    // After 2026-09's due date a partly paid statement is overdue with what is left.
    const late = run('2026-10-25', [pay('p2', '1200', '2026-09-20', 1), pay('p1', '500.00', '2026-09-05', 2)]);
    expect(late.statements[1]).toMatchObject({ state: 'overdue', paid: '700.00', remaining: '1800.50', daysPastDue: 13 });
    expect(late.overdue).toBe('1800.50');
  });

  it('same value date: posting time then id decide', () => {
    const b = run('2026-09-10', [pay('b', '600', '2026-09-05', 5), pay('a', '600', '2026-09-05', 5), pay('c', '100', '2026-09-05', 1)]);
    expect(b.statements[0].allocations).toEqual([
      { source: 'c', amount: '100.00' },
      { source: 'a', amount: '600.00' },
      { source: 'b', amount: '300.00' },
    ]);
    expect(b.statements[1].allocations).toEqual([{ source: 'b', amount: '300.00' }]);
  });

  it('a reversed payment counts for nothing; overpayment is credit', () => {
    const b = run('2026-12-01', [pay('big', '20000', '2026-11-05', 1, true), pay('ok', '16000', '2026-11-06', 2)]);
    expect(b.statements.every((s) => s.state === 'paid')).toBe(true);
    expect(b).toMatchObject({ paid: '16000.00', balance: '-153.83', credit: '153.83', overdue: '0.00' });
    expect(run('2026-12-01', [pay('big', '20000', '2026-11-05', 1, true)])).toMatchObject({ paid: '0.00', balance: '15846.17', overdue: '15846.17' });
  });

  it('a negative statement (credit note) is paid and pays what follows it', () => {
    const s = [st('2026-08', '2026-09-02', '100'), st('2026-09', '2026-10-02', '-30'), st('2026-10', '2026-11-03', '50')];
    const b = run('2026-11-30', [pay('p', '100', '2026-09-03')], s);
    // p pays 2026-08 in full; the 30.00 credit of 2026-09 pays 30 of 2026-10, 20.00 left and overdue.
    expect(states(b)).toEqual([
      ['2026-08', 'paid', '100.00', '0.00'],
      ['2026-09', 'paid', '0.00', '0.00'],
      ['2026-10', 'overdue', '30.00', '20.00'],
    ]);
    expect(b).toMatchObject({ billed: '120.00', paid: '100.00', balance: '20.00', overdue: '20.00', credit: '0.00' });
  });

  it('amounts are rounded to the minor unit with decimals, never floats', () => {
    const s = [st('2026-08', '2026-09-02', '0.3')];
    const b = run('2026-09-03', [pay('a', '0.1', '2026-09-02'), pay('b', '0.2', '2026-09-02')], s);
    expect(states(b)).toEqual([['2026-08', 'paid', '0.30', '0.00']]);
    expect(allocate({ currency: 'JPY', today: '2026-09-03', dueDays: 0, statements: [st('2026-08', '2026-09-02', '1000')], payments: [] }).statements[0]).toMatchObject({ remaining: '1000', state: 'overdue' });
  });

  it('spaced money for people', () => {
    expect([spacedMoney('12345.67'), spacedMoney('100.00'), spacedMoney('-1234567.1'), spacedMoney('1000')]).toEqual(['12 345.67', '100.00', '-1 234 567.1', '1 000']);
  });
});
