import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openStore, type Store } from '../store/index.ts';
import { BillingEvents, eventId, eventMigrations } from './events.ts';
import { tempDir } from '../test/support/temp.ts';

describe('billing events (chDB)', () => {
  let dir: string;
  let store: Store;
  let clock = 1_700_000_000_000;
  let events: BillingEvents;
  beforeAll(async () => {
    dir = tempDir('fm-events-');
    store = await openStore({ backend: 'chdb', path: dir, database: 'ev' });
    await migrate(store, eventMigrations);
    events = new BillingEvents(store, () => clock);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ids derive from the fact; publishing a fact twice keeps the first publication', async () => {
    expect(eventId('statement.closed', 'a:2026-10')).toBe(eventId('statement.closed', 'a:2026-10'));
    expect(eventId('statement.closed', 'a:2026-10')).not.toBe(eventId('payment.received', 'a:2026-10'));
    const heard: string[] = [];
    events.onPublish((es) => heard.push(...es.map((e) => e.id)));
    const first = await events.publish([{ type: 'statement.closed', key: 'a:2026-10', accountId: 'a', subject: 'a:2026-10', data: { total: '1.00' } }]);
    expect(first).toHaveLength(1);
    clock += 1000;
    const again = await events.publish([
      { type: 'statement.closed', key: 'a:2026-10', accountId: 'a', subject: 'a:2026-10', data: { total: '1.00' } },
      { type: 'payment.received', key: 'p1', accountId: 'a', subject: 'p1', data: { amount: '1.00' } },
    ]);
    expect(again.map((e) => e.type)).toEqual(['payment.received']);
    expect(heard).toHaveLength(2);
    clock += 1000;
    const all = await events.after(null, { limit: 10 });
    expect(all.map((e) => [e.type, e.ts])).toEqual([
      ['statement.closed', 1_700_000_000_000],
      ['payment.received', 1_700_000_001_000],
    ]);
    const rest = await events.after({ ts: all[0].ts, id: all[0].id }, { limit: 10 });
    expect(rest.map((e) => e.id)).toEqual([all[1].id]);
    expect(await events.after(null, { limit: 10, types: ['payment.received'], accountId: 'b' })).toEqual([]);
    // settle: an event younger than settleMs is held back.
    expect(await events.after(null, { limit: 10, settleMs: 1500 })).toHaveLength(1);
    expect((await events.get([all[1].id]))[0].data).toEqual({ amount: '1.00' });
  });
});
