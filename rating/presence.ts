/**
 * Presence: the set of (device, UTC minute) pairs in which a device was seen. What was measured,
 * apart from what it costs (pricing lives in `pricing/`).
 *
 * Each device-day keeps two bitmaps (see `plausibility.ts`):
 * - `device`: minutes from plausible device times;
 * - `fallback`: receive-time minutes of records whose device time was implausible.
 * The implausible-time policy decides, at read time, whether fallback minutes count as online.
 */
import { type DayBits, newDayBits, orBits, orInto, setMinute } from './minute-bitmap.ts';
import {
  DEFAULT_PLAUSIBILITY,
  type ImplausibleTimePolicy,
  type PlausibilityRule,
  VERDICT_DEVICE_TIME,
  VERDICT_FALLBACK,
  type Verdict,
  classifyTime,
} from './plausibility.ts';
import { DAY_MS, MINUTE_MS } from './time.ts';

/** Stored kinds, by number (the `kind` column). */
export const PRESENCE_KINDS = ['device-time', 'fallback'] as const;
export type PresenceKind = (typeof PRESENCE_KINDS)[number];
export const KIND_DEVICE_TIME = 0;
export const KIND_FALLBACK = 1;

export interface DayPresence {
  readonly device: DayBits;
  fallback: DayBits | null;
  /**
   * Set on frozen, read-only day presences shared with a read cache (`sharedDayPresence`): a set
   * holding one copies it before changing anything (copy-on-write), so the cache never changes.
   */
  readonly shared?: true;
}

/** A read-only day presence that sets may hold without copying (see `PresenceSet.adoptShared`). */
export function sharedDayPresence(device: DayBits, fallback: DayBits | null): DayPresence {
  return Object.freeze({ device, fallback, shared: true as const });
}

/** The minimal raw input: what reconcile reads from the records table. */
export interface RawPresenceRow {
  readonly deviceId: string;
  readonly deviceTime: number | null;
  readonly receivedAt: number;
}

/** What rating reads: online minutes under a policy, and the implausible-time tally. */
export interface PresenceView {
  /** Minutes that count as online (undefined = none that day). */
  online(deviceId: string, day: number): DayBits | undefined;
  /** Receive-time minutes of records with implausible device times (undefined = none). */
  implausible(deviceId: string, day: number): DayBits | undefined;
}

export function effectiveBits(p: DayPresence, policy: ImplausibleTimePolicy): DayBits {
  if (policy === 'receive-time' && p.fallback !== null) return orBits(p.device, p.fallback);
  return p.device;
}

export class PresenceSet {
  private readonly byDevice = new Map<string, Map<number, DayPresence>>();

  get deviceCount(): number {
    return this.byDevice.size;
  }

  /** Adds one record's minute; returns where it went (drop = receive time unusable). */
  add(deviceId: string, deviceTime: number | null, receivedAt: number, rule: PlausibilityRule = DEFAULT_PLAUSIBILITY): Verdict {
    const verdict = classifyTime(deviceTime, receivedAt, rule);
    if (verdict === VERDICT_DEVICE_TIME) this.setMinute(deviceId, deviceTime as number, KIND_DEVICE_TIME);
    else if (verdict === VERDICT_FALLBACK) this.setMinute(deviceId, receivedAt, KIND_FALLBACK);
    return verdict;
  }

  addRows(rows: Iterable<RawPresenceRow>, rule: PlausibilityRule = DEFAULT_PLAUSIBILITY): void {
    for (const r of rows) this.add(r.deviceId, r.deviceTime, r.receivedAt, rule);
  }

  /** Sets the minute containing instant `ms` (UTC) for `kind`. */
  setMinute(deviceId: string, ms: number, kind: number): boolean {
    const day = Math.floor(ms / DAY_MS);
    const p = this.dayFor(deviceId, day);
    const minute = Math.floor((ms - day * DAY_MS) / MINUTE_MS);
    if (kind === KIND_DEVICE_TIME) return setMinute(p.device, minute);
    if (p.fallback === null) p.fallback = newDayBits();
    return setMinute(p.fallback, minute);
  }

  /** ORs a whole bitmap in (merge-on-read of stored rows, several writers). */
  mergeBits(deviceId: string, day: number, kind: number, bits: DayBits): void {
    const p = this.dayFor(deviceId, day);
    if (kind === KIND_DEVICE_TIME) orInto(p.device, bits);
    else if (p.fallback === null) p.fallback = Uint32Array.from(bits);
    else orInto(p.fallback, bits);
  }

  /** Like `mergeBits`, but takes ownership of `bits` when the device-day is new (no copy). */
  adoptBits(deviceId: string, day: number, kind: number, bits: DayBits): void {
    let days = this.byDevice.get(deviceId);
    if (days === undefined) {
      days = new Map();
      this.byDevice.set(deviceId, days);
    }
    const p = owned(days, day);
    if (p === undefined) {
      days.set(day, kind === KIND_DEVICE_TIME ? { device: bits, fallback: null } : { device: newDayBits(), fallback: bits });
      return;
    }
    if (kind === KIND_DEVICE_TIME) orInto(p.device, bits);
    else if (p.fallback === null) p.fallback = bits;
    else orInto(p.fallback, bits);
  }

  /**
   * Holds a shared, read-only day presence (`sharedDayPresence`) without copying it; any later
   * change to that device-day copies it first. If the set already has the device-day, merges.
   */
  adoptShared(deviceId: string, day: number, p: DayPresence): void {
    let days = this.byDevice.get(deviceId);
    if (days === undefined) {
      days = new Map();
      this.byDevice.set(deviceId, days);
    }
    if (!days.has(day)) {
      days.set(day, p);
      return;
    }
    this.mergeBits(deviceId, day, KIND_DEVICE_TIME, p.device);
    if (p.fallback !== null) this.mergeBits(deviceId, day, KIND_FALLBACK, p.fallback);
  }

  mergeSet(other: PresenceSet): void {
    for (const e of other.entries()) {
      this.mergeBits(e.deviceId, e.day, KIND_DEVICE_TIME, e.presence.device);
      if (e.presence.fallback) this.mergeBits(e.deviceId, e.day, KIND_FALLBACK, e.presence.fallback);
    }
  }

  get(deviceId: string, day: number): DayPresence | undefined {
    return this.byDevice.get(deviceId)?.get(day);
  }

  /** Every device-day, devices and days ascending (deterministic). */
  *entries(): Generator<{ deviceId: string; day: number; presence: DayPresence }> {
    for (const deviceId of [...this.byDevice.keys()].sort()) {
      const days = this.byDevice.get(deviceId)!;
      for (const day of [...days.keys()].sort((a, b) => a - b)) yield { deviceId, day, presence: days.get(day)! };
    }
  }

  view(policy: ImplausibleTimePolicy): PresenceView {
    return {
      online: (deviceId, day) => {
        const p = this.get(deviceId, day);
        return p === undefined ? undefined : effectiveBits(p, policy);
      },
      implausible: (deviceId, day) => this.get(deviceId, day)?.fallback ?? undefined,
    };
  }

  private dayFor(deviceId: string, day: number): DayPresence {
    let days = this.byDevice.get(deviceId);
    if (days === undefined) {
      days = new Map();
      this.byDevice.set(deviceId, days);
    }
    let p = owned(days, day);
    if (p === undefined) {
      p = { device: newDayBits(), fallback: null };
      days.set(day, p);
    }
    return p;
  }
}

/** The device-day, replaced by a private copy first if it is shared (copy-on-write). */
function owned(days: Map<number, DayPresence>, day: number): DayPresence | undefined {
  const p = days.get(day);
  if (p === undefined || p.shared !== true) return p;
  const copy: DayPresence = { device: p.device.slice(), fallback: p.fallback === null ? null : p.fallback.slice() };
  days.set(day, copy);
  return copy;
}

/** Batch recompute: presence from raw rows (array, iterable or async iterable, any order). */
export async function presenceFromRows(
  rows: Iterable<RawPresenceRow> | AsyncIterable<RawPresenceRow>,
  rule: PlausibilityRule = DEFAULT_PLAUSIBILITY,
): Promise<PresenceSet> {
  const set = new PresenceSet();
  if (Symbol.asyncIterator in rows) {
    for await (const r of rows as AsyncIterable<RawPresenceRow>) set.add(r.deviceId, r.deviceTime, r.receivedAt, rule);
  } else {
    set.addRows(rows as Iterable<RawPresenceRow>, rule);
  }
  return set;
}
