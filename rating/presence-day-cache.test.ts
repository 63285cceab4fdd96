import { describe, expect, it } from 'vitest';
import { type CachedDay, PresenceDayCache } from './presence-day-cache.ts';
import { sharedDayPresence } from './presence.ts';

const day = (fingerprint: string, devices: number): CachedDay => ({
  fingerprint,
  deviceIds: Array.from({ length: devices }, (_, i) => `d${i}`),
  presences: Array.from({ length: devices }, () => sharedDayPresence(new Uint32Array(45), null)),
  bitmaps: devices,
});

describe('presence day cache (bounded LRU)', () => {
  it('holds at most maxBitmaps bitmaps, evicting the least recently used entries first', () => {
    const cache = new PresenceDayCache(10);
    cache.set('a', 1, day('1', 4));
    cache.set('a', 2, day('2', 4));
    expect(cache.get('a', 1)?.fingerprint).toBe('1'); // a/1 is now the most recently used
    cache.set('b', 1, day('3', 4)); // 12 > 10: evicts a/2, the least recently used
    expect(cache.get('a', 2)).toBeUndefined();
    expect(cache.get('a', 1)?.fingerprint).toBe('1');
    expect(cache.get('b', 1)?.fingerprint).toBe('3');
    expect(cache.stats()).toEqual({ entries: 2, bitmaps: 8, evictions: 1 });
  });

  it('replacing an entry replaces its size; delete and clear free it', () => {
    const cache = new PresenceDayCache(100);
    cache.set('a', 1, day('old', 30));
    cache.set('a', 1, day('new', 5));
    expect(cache.stats()).toMatchObject({ entries: 1, bitmaps: 5 });
    expect(cache.get('a', 1)?.fingerprint).toBe('new');
    expect(cache.has('a')).toBe(true);
    cache.delete('a', 1);
    expect(cache.has('a')).toBe(false);
    expect(cache.stats()).toMatchObject({ entries: 0, bitmaps: 0 });
    cache.set('a', 1, day('x', 5));
    cache.clear();
    expect(cache.stats()).toMatchObject({ entries: 0, bitmaps: 0 });
    expect(cache.get('a', 1)).toBeUndefined();
  });

  it('an entry larger than the whole bound is not kept (and drops the one it replaces)', () => {
    const cache = new PresenceDayCache(10);
    cache.set('a', 1, day('small', 2));
    cache.set('a', 1, day('huge', 11));
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 0, bitmaps: 0 });
    expect(() => new PresenceDayCache(0)).toThrow();
  });
});
