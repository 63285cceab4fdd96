import { describe, expect, it } from 'vitest';
import { countBits, minutesOf } from './minute-bitmap.ts';
import { KIND_DEVICE_TIME, KIND_FALLBACK, PresenceSet, presenceFromRows, sharedDayPresence } from './presence.ts';
import { VERDICT_DEVICE_TIME, VERDICT_DROP, VERDICT_FALLBACK } from './plausibility.ts';
import { bitsFromMinutes } from './minute-bitmap.ts';

const D = Date.UTC(2024, 5, 1); // day 19875
const day = 19875;

describe('presence set', () => {
  it('a device is online in a minute if ≥ 1 record has its device time inside it', () => {
    const s = new PresenceSet();
    s.add('A', D + 5 * 60_000 + 1, D + 6 * 60_000);
    s.add('A', D + 5 * 60_000 + 59_999, D + 6 * 60_000); // same minute 5
    s.add('A', D + 6 * 60_000, D + 6 * 60_000); // minute 6
    expect(minutesOf(s.get('A', day)!.device)).toEqual([5, 6]);
  });

  it('implausible times go to the fallback bitmap at the receive minute; the view applies the policy', () => {
    const s = new PresenceSet();
    expect(s.add('A', null, D + 10 * 60_000)).toBe(VERDICT_FALLBACK);
    expect(s.add('A', 0, D + 11 * 60_000)).toBe(VERDICT_FALLBACK);
    expect(s.add('A', D + 1000, D + 2000)).toBe(VERDICT_DEVICE_TIME);
    expect(s.add('A', null, 0)).toBe(VERDICT_DROP);
    const p = s.get('A', day)!;
    expect(minutesOf(p.device)).toEqual([0]);
    expect(minutesOf(p.fallback!)).toEqual([10, 11]);
    expect(s.get('A', 0)).toBeUndefined(); // never a 1970 minute
    expect(minutesOf(s.view('receive-time').online('A', day)!)).toEqual([0, 10, 11]);
    expect(minutesOf(s.view('quarantine').online('A', day)!)).toEqual([0]);
    expect(minutesOf(s.view('quarantine').implausible('A', day)!)).toEqual([10, 11]);
  });

  it('merging bitmaps is union, per kind', () => {
    const s = new PresenceSet();
    s.mergeBits('A', day, KIND_DEVICE_TIME, bitsFromMinutes([1, 2]));
    s.mergeBits('A', day, KIND_DEVICE_TIME, bitsFromMinutes([2, 3]));
    s.mergeBits('A', day, KIND_FALLBACK, bitsFromMinutes([9]));
    expect(minutesOf(s.get('A', day)!.device)).toEqual([1, 2, 3]);
    expect(countBits(s.get('A', day)!.fallback!)).toBe(1);
    const u = new PresenceSet();
    const own = bitsFromMinutes([4]);
    u.adoptBits('B', day, KIND_DEVICE_TIME, own);
    u.adoptBits('B', day, KIND_DEVICE_TIME, bitsFromMinutes([5]));
    u.adoptBits('B', day, KIND_FALLBACK, bitsFromMinutes([6]));
    u.adoptBits('C', day, KIND_FALLBACK, bitsFromMinutes([7]));
    expect(minutesOf(u.get('B', day)!.device)).toEqual([4, 5]);
    expect(minutesOf(u.get('B', day)!.fallback!)).toEqual([6]);
    expect(minutesOf(u.get('C', day)!.device)).toEqual([]);
    expect(minutesOf(u.get('C', day)!.fallback!)).toEqual([7]);
    const t = new PresenceSet();
    t.mergeSet(s);
    t.mergeSet(s);
    expect(minutesOf(t.get('A', day)!.device)).toEqual([1, 2, 3]);
  });

  it('shared day presences are held without copying and copied before any change (copy-on-write)', () => {
    const shared = sharedDayPresence(bitsFromMinutes([1, 2]), bitsFromMinutes([9]));
    const pristine = () => expect([minutesOf(shared.device), minutesOf(shared.fallback!)]).toEqual([[1, 2], [9]]);
    const s = new PresenceSet();
    s.adoptShared('A', day, shared);
    expect(s.get('A', day)).toBe(shared); // no copy while only read
    expect(() => {
      (shared as { fallback: unknown }).fallback = null;
    }).toThrow(); // frozen
    s.mergeBits('A', day, KIND_DEVICE_TIME, bitsFromMinutes([3]));
    expect(minutesOf(s.get('A', day)!.device)).toEqual([1, 2, 3]);
    expect(s.get('A', day)).not.toBe(shared);
    pristine();
    // every other way of changing a device-day copies too
    const changes: ((t: PresenceSet) => void)[] = [
      (t) => t.adoptBits('A', day, KIND_FALLBACK, bitsFromMinutes([8])),
      (t) => t.adoptBits('A', day, KIND_DEVICE_TIME, bitsFromMinutes([7])),
      (t) => t.setMinute('A', D + 4 * 60_000, KIND_DEVICE_TIME),
      (t) => t.add('A', null, D + 5 * 60_000),
      (t) => t.mergeBits('A', day, KIND_FALLBACK, bitsFromMinutes([6])),
    ];
    for (const change of changes) {
      const t = new PresenceSet();
      t.adoptShared('A', day, shared);
      change(t);
      expect(t.get('A', day)).not.toBe(shared);
      pristine();
    }
    // a second shared presence for the same device-day merges (into a private copy)
    const u = new PresenceSet();
    u.adoptShared('A', day, shared);
    u.adoptShared('A', day, sharedDayPresence(bitsFromMinutes([5]), null));
    expect(minutesOf(u.get('A', day)!.device)).toEqual([1, 2, 5]);
    pristine();
  });

  it('entries are sorted by device then day', async () => {
    const s = await presenceFromRows(
      (async function* () {
        yield { deviceId: 'b', deviceTime: D + 86_400_000, receivedAt: D + 86_400_000 };
        yield { deviceId: 'a', deviceTime: D + 86_400_000, receivedAt: D + 86_400_000 };
        yield { deviceId: 'b', deviceTime: D, receivedAt: D };
      })(),
    );
    expect([...s.entries()].map((e) => `${e.deviceId}/${e.day}`)).toEqual([`a/${day + 1}`, `b/${day}`, `b/${day + 1}`]);
  });
});
