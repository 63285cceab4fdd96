import { describe, expect, it } from 'vitest';
import { bitsFromMinutes, minutesOf } from './minute-bitmap.ts';
import { KIND_DEVICE_TIME } from './presence.ts';
import { MemoryPresenceStorage, storageSource } from './presence-storage.ts';

describe('in-memory presence storage', () => {
  it('ORs rows on read, by device-day, half-open day ranges', async () => {
    const s = new MemoryPresenceStorage();
    await s.save([
      { deviceId: 'a', day: 1, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([1]) },
      { deviceId: 'a', day: 1, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([2]) },
      { deviceId: 'a', day: 2, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([3]) },
    ], 1);
    const r = await storageSource(s).load(['a'], 1, 2);
    expect(r.get('a', 2)).toBeUndefined();
    expect(minutesOf(r.get('a', 1)!.device)).toEqual([1, 2]);
  });
});
