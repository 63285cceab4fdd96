import { describe, expect, it } from 'vitest';
import { bitsFromMinutes, countBits } from './minute-bitmap.ts';
import { KIND_DEVICE_TIME, KIND_FALLBACK } from './presence.ts';
import { CachedPresenceStorage } from './presence-cache.ts';
import { MemoryPresenceStorage } from './presence-storage.ts';

class CountingStorage extends MemoryPresenceStorage {
  rangeQueries = 0;
  override async loadRange(ids: readonly string[], from: number, to: number) {
    this.rangeQueries++;
    return super.loadRange(ids, from, to);
  }
}

const minutes = (set: Awaited<ReturnType<CachedPresenceStorage['loadRange']>>, id: string, day: number) => {
  const p = set.get(id, day);
  return p === undefined ? 0 : countBits(p.device);
};

describe('CachedPresenceStorage', () => {
  it('serves hits from memory, batches cold misses of one tick into one query', async () => {
    const inner = new CountingStorage();
    await inner.save([{ deviceId: 'a', day: 10, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([1, 2, 3]) }], 1);
    const cache = new CachedPresenceStorage(inner);
    const [x, y] = await Promise.all([cache.loadRange(['a'], 10, 12), cache.loadRange(['b'], 10, 12)]);
    expect(inner.rangeQueries).toBe(1);
    expect(minutes(x, 'a', 10)).toBe(3);
    expect(minutes(y, 'b', 10)).toBe(0);
    await cache.loadRange(['a', 'b'], 10, 11);
    expect(inner.rangeQueries).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2 });
  });

  it('a save is OR-ed into cached entries and bumps the version; returned sets never alias the cache', async () => {
    const inner = new CountingStorage();
    const cache = new CachedPresenceStorage(inner);
    await cache.loadRange(['a'], 10, 12);
    const v0 = cache.version('a');
    await cache.save([{ deviceId: 'a', day: 11, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([5]) }, { deviceId: 'a', day: 11, kind: KIND_FALLBACK, bits: bitsFromMinutes([7]) }], 1);
    expect(cache.version('a')).toBeGreaterThan(v0);
    const set = await cache.loadRange(['a'], 10, 12);
    expect(minutes(set, 'a', 11)).toBe(1);
    expect(countBits(set.get('a', 11)!.fallback!)).toBe(1);
    set.mergeBits('a', 11, KIND_DEVICE_TIME, bitsFromMinutes([100, 101]));
    expect(minutes(await cache.loadRange(['a'], 10, 12), 'a', 11)).toBe(1);
    expect(inner.rangeQueries).toBe(1);
  });

  it('stale entries are served, then refreshed in the background with other writers\' bits', async () => {
    let now = 0;
    const inner = new CountingStorage();
    const cache = new CachedPresenceStorage(inner, { refreshAfterMs: 1000, refreshBatchMs: 0, now: () => now });
    await cache.loadRange(['a'], 10, 11);
    await inner.save([{ deviceId: 'a', day: 10, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([9]) }], 1); // another instance
    now = 2000;
    expect(minutes(await cache.loadRange(['a'], 10, 11), 'a', 10)).toBe(0);
    await new Promise((r) => setTimeout(r, 10));
    expect(minutes(await cache.loadRange(['a'], 10, 11), 'a', 10)).toBe(1);
  });

  it('stale entries noticed over many ticks are refreshed together: one query, not one per request', async () => {
    let now = 0;
    const inner = new CountingStorage();
    const cache = new CachedPresenceStorage(inner, { refreshAfterMs: 1000, refreshBatchMs: 50, now: () => now });
    const ids = Array.from({ length: 40 }, (_, i) => `d${i}`);
    await cache.loadRange(ids, 10, 11);
    await inner.save(ids.map((deviceId) => ({ deviceId, day: 10, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([5]) })), 1); // another instance
    const before = inner.rangeQueries;
    now = 2000;
    for (const id of ids) {
      cache.version(id); // a request each, in ticks of their own
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 120));
    expect(inner.rangeQueries - before).toBe(1);
    for (const id of ids) expect(minutes(await cache.loadRange([id], 10, 11), id, 10)).toBe(1);
    expect(cache.stats().refreshes).toBe(40);
  });

  it('exact reads go to storage: another writer\'s bits at once, whatever the cache holds', async () => {
    const inner = new CountingStorage();
    const cache = new CachedPresenceStorage(inner, { refreshAfterMs: 60_000, now: () => 0 });
    await cache.loadRange(['a'], 10, 11);
    await inner.save([{ deviceId: 'a', day: 10, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([9, 10]) }], 1); // another instance
    expect(minutes(await cache.loadRange(['a'], 10, 11), 'a', 10)).toBe(0); // live: within its freshness
    expect(minutes(await cache.loadRange(['a'], 10, 11, { exact: true }), 'a', 10)).toBe(2);
    expect(inner.rangeQueries).toBe(2);
  });

  it('evicts least recently used devices beyond the bound', async () => {
    const inner = new CountingStorage();
    const cache = new CachedPresenceStorage(inner, { maxDeviceDays: 10 });
    for (let i = 0; i < 12; i++) await cache.loadRange([`d${i}`], 1, 2);
    expect(cache.stats().deviceDays).toBeLessThanOrEqual(10);
    expect(cache.version('d0')).toBe(-1);
    expect(cache.version('d11')).toBeGreaterThan(0);
  });
});

describe('CachedPresenceStorage versions', () => {
  it('a read-created entry is "unchanged since read" until a save changes it; a refresh with nothing new keeps the version', async () => {
    let now = 0;
    const inner = new MemoryPresenceStorage();
    await inner.save([{ deviceId: 'a', day: 10, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([1]) }], 1);
    const cache = new CachedPresenceStorage(inner, { refreshAfterMs: 1000, refreshBatchMs: 0, now: () => now });
    expect(cache.unchangedSinceRead('a')).toBe(-1);
    await cache.loadRange(['a'], 10, 11);
    const v = cache.version('a');
    expect(cache.unchangedSinceRead('a')).toBe(v);
    now = 5000;
    await cache.loadRange(['a'], 10, 11); // stale: refreshed in the background, nothing new
    await new Promise((r) => setTimeout(r, 10));
    expect(cache.version('a')).toBe(v);
    await cache.save([{ deviceId: 'a', day: 10, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([1]) }], 1); // no new bit
    expect(cache.version('a')).toBe(v);
    await cache.save([{ deviceId: 'a', day: 10, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([2]) }], 1);
    expect(cache.version('a')).toBeGreaterThan(v);
    expect(cache.unchangedSinceRead('a')).toBe(-1);
  });

  it('asking the version of a stale entry refreshes it: results cached by version catch up with other writers', async () => {
    let now = 0;
    const inner = new MemoryPresenceStorage();
    const cache = new CachedPresenceStorage(inner, { refreshAfterMs: 1000, refreshBatchMs: 0, now: () => now });
    await cache.loadRange(['a'], 10, 11);
    const v = cache.version('a');
    await inner.save([{ deviceId: 'a', day: 10, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([3]) }], 1); // another instance
    expect(cache.version('a')).toBe(v); // fresh entry: no query
    await new Promise((r) => setTimeout(r, 10));
    expect(cache.version('a')).toBe(v);
    now = 2000;
    expect(cache.version('a')).toBe(v); // stale: still this version, refreshed in the background
    await new Promise((r) => setTimeout(r, 10));
    expect(cache.version('a')).toBeGreaterThan(v);
    expect(minutes(await cache.loadRange(['a'], 10, 11), 'a', 10)).toBe(1);
  });
});
