/**
 * Synthetic, reproducible (seeded) input for benchmarks and load tests: record streams for the
 * engine, presence bitmaps written straight to storage (a month for 100 000 devices in seconds),
 * and fleets of accounts with tariffs.
 */
import type { RatingConfig } from './assignments.ts';
import type { PresenceRecord } from './engine.ts';
import { type DayBits, newDayBits, setRange } from './minute-bitmap.ts';
import { KIND_DEVICE_TIME } from './presence.ts';
import type { PresenceRowIn } from './presence-storage.ts';
import { type TariffVersion, tariffVersion } from './tariff.ts';

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** IMEI-like device ids: 15 digits, distinct for distinct n. */
export function deviceIdOf(n: number): string {
  return `35630704${String(n).padStart(7, '0')}`;
}

export interface RecordStreamOptions {
  readonly devices: number;
  /** Records per device per batch (a Teltonika AVL packet carries 1–50). */
  readonly recordsPerBatch: number;
  readonly batches: number;
  readonly startMs: number;
  /** Device-time step between consecutive records of a device. Default 10 s. */
  readonly stepMs?: number;
  /** Share of records with an implausible time (null device time). Default 0. */
  readonly implausibleShare?: number;
  readonly seed?: number;
}

/**
 * Batches as the ingest pipeline delivers them: each batch holds `recordsPerBatch` consecutive
 * records of each of `devices` devices (one frame per device), device order shuffled per batch.
 */
export function* recordBatches(o: RecordStreamOptions): Generator<PresenceRecord[]> {
  const rnd = prng(o.seed ?? 1);
  const step = o.stepMs ?? 10_000;
  const ids = Array.from({ length: o.devices }, (_, i) => deviceIdOf(i));
  const order = ids.map((_, i) => i);
  for (let b = 0; b < o.batches; b++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const batch: PresenceRecord[] = [];
    for (const d of order) {
      for (let k = 0; k < o.recordsPerBatch; k++) {
        const t = o.startMs + (b * o.recordsPerBatch + k) * step + (d % 60) * 1000;
        const implausible = o.implausibleShare !== undefined && rnd() < o.implausibleShare;
        batch.push({ deviceId: ids[d], deviceTime: implausible ? null : t, receivedAt: t + 2_000 });
      }
    }
    yield batch;
  }
}

/** A working day: one or two shifts with short gaps, between roughly 05:00 and 22:00 UTC. */
export function workdayBits(rnd: () => number): DayBits {
  const bits = newDayBits();
  let t = 300 + Math.floor(rnd() * 240);
  const end = t + 480 + Math.floor(rnd() * 360);
  while (t < end && t < 1440) {
    const run = 20 + Math.floor(rnd() * 100);
    setRange(bits, t, Math.min(t + run, end));
    t += run + Math.floor(rnd() * 15);
  }
  return bits;
}

export interface PresenceFillOptions {
  readonly deviceIds: readonly string[];
  readonly fromDay: number;
  readonly toDay: number;
  /** Probability a device works on a given day. Default 0.8. */
  readonly activeShare?: number;
  readonly seed?: number;
  /** Rows per yielded chunk. Default 20 000. */
  readonly chunk?: number;
}

/** Presence rows (device-time kind) for `deviceIds` × UTC days [fromDay, toDay), in chunks. */
export function* presenceRows(o: PresenceFillOptions): Generator<PresenceRowIn[]> {
  const rnd = prng(o.seed ?? 7);
  const share = o.activeShare ?? 0.8;
  const size = o.chunk ?? 20_000;
  let rows: PresenceRowIn[] = [];
  for (const deviceId of o.deviceIds) {
    for (let day = o.fromDay; day < o.toDay; day++) {
      if (rnd() >= share) continue;
      rows.push({ deviceId, day, kind: KIND_DEVICE_TIME, bits: workdayBits(rnd) });
      if (rows.length >= size) {
        yield rows;
        rows = [];
      }
    }
  }
  if (rows.length > 0) yield rows;
}

export interface FleetOptions {
  readonly accounts: number;
  readonly devicesPerAccount: number;
  readonly zones?: readonly string[];
  readonly currency?: string;
  /** Every device assigned from this date. Default '2020-01-01'. */
  readonly since?: string;
}

/** The tariffs of a synthetic fleet: one per unit and model, all in `currency`. */
export function syntheticTariffs(currency = 'EUR'): TariffVersion[] {
  const t = (id: string, def: object) => tariffVersion(id, 1, '2020-01-01', { name: id, currency, ...def });
  return [
    t('per-minute', { unit: 'minute', price: { model: 'per-unit', unitPrice: '0.002' } }),
    t('hourly-graduated', { unit: 'hour', minActiveMinutes: 5, price: { model: 'graduated', tiers: [{ upTo: '1000', unitPrice: '0.05' }, { upTo: null, unitPrice: '0.03' }] }, includedUnits: '100' }),
    t('daily-volume', { unit: 'day', price: { model: 'volume', tiers: [{ upTo: '100', unitPrice: '1.00' }, { upTo: '1000', unitPrice: '0.80', flatFee: '10' }, { upTo: null, unitPrice: '0.60' }] }, minimumCharge: '50' }),
    t('monthly-prorated', { unit: 'month', proration: true, price: { model: 'per-unit', unitPrice: '9.90' }, pricesIncludeVat: true }),
  ];
}

/** Accounts `acc-000001…` with devices assigned round-robin across tariffs and zones. */
export function syntheticFleet(o: FleetOptions): RatingConfig {
  const zones = o.zones ?? ['Europe/Berlin', 'Europe/Moscow', 'Asia/Vladivostok', 'UTC'];
  const tariffs = syntheticTariffs(o.currency ?? 'EUR');
  const since = o.since ?? '2020-01-01';
  const accounts = [];
  const deviceAssignments = [];
  const tariffAssignments = [];
  let n = 0;
  for (let a = 0; a < o.accounts; a++) {
    const id = `acc-${String(a + 1).padStart(6, '0')}`;
    accounts.push({ id, name: `Fleet ${a + 1}`, timeZone: zones[a % zones.length], currency: o.currency ?? 'EUR' });
    tariffAssignments.push({ accountId: id, deviceId: null, tariffId: tariffs[a % tariffs.length].tariffId, effectiveFrom: since, recordedAt: 1 });
    for (let d = 0; d < o.devicesPerAccount; d++) deviceAssignments.push({ deviceId: deviceIdOf(n++), accountId: id, effectiveFrom: since, recordedAt: 1 });
  }
  return { accounts, deviceAssignments, tariffVersions: tariffs, tariffAssignments, suspensions: [] };
}
