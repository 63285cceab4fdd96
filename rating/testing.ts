/**
 * Scenario builders for tests (rating's own and cross-module ones): accounts, tariffs, records at
 * local wall-clock times, and a one-call "rate this account" over pure in-memory inputs.
 */
import { DateTime } from 'luxon';
import { type Account, ConfigIndex, type DeviceAssignment, type RatingConfig, type Suspension, type TariffAssignment } from './assignments.ts';
import type { Period } from './calendar.ts';
import type { PresenceRecord } from './engine.ts';
import type { ImplausibleTimePolicy } from './plausibility.ts';
import { buildPlan } from './plan.ts';
import { PresenceSet } from './presence.ts';
import { type StatementDoc, rateStatement } from './statement.ts';
import { type TariffVersion, tariffVersion } from './tariff.ts';

export function account(id: string, timeZone = 'UTC', currency = 'EUR'): Account {
  return { id, name: `Account ${id}`, timeZone, currency };
}

export function tariff(tariffId: string, version: number, effectiveFrom: string, definition: object): TariffVersion {
  return tariffVersion(tariffId, version, effectiveFrom, { name: tariffId, currency: 'EUR', ...definition });
}

export function onAccount(deviceId: string, accountId: string | null, effectiveFrom: string, recordedAt = 1): DeviceAssignment {
  return { deviceId, accountId, effectiveFrom, recordedAt };
}

export function useTariff(accountId: string, tariffId: string | null, effectiveFrom: string, deviceId: string | null = null, recordedAt = 1): TariffAssignment {
  return { accountId, deviceId, tariffId, effectiveFrom, recordedAt };
}

export function suspend(id: string, accountId: string, from: string, to: string | null, deviceId: string | null = null): Suspension {
  return { id, accountId, deviceId, from, to, cancelled: false, recordedAt: 1 };
}

export function configOf(c: Partial<RatingConfig>): RatingConfig {
  return { accounts: [], deviceAssignments: [], tariffVersions: [], tariffAssignments: [], suspensions: [], ...c };
}

/** Instant (ms UTC) of a local wall-clock time, e.g. at('Europe/Berlin', '2024-03-31T01:30'). */
export function at(zone: string, local: string): number {
  const t = DateTime.fromISO(local, { zone });
  if (!t.isValid) throw new Error(`bad local time ${local} in ${zone}`);
  return t.toMillis();
}

/** One record per minute for `minutes` consecutive minutes from `startMs`, received 5 s later. */
export function minutesOnline(deviceId: string, startMs: number, minutes: number): PresenceRecord[] {
  const out: PresenceRecord[] = [];
  for (let i = 0; i < minutes; i++) out.push({ deviceId, deviceTime: startMs + i * 60_000 + 7_000, receivedAt: startMs + i * 60_000 + 12_000 });
  return out;
}

/** Rates an account from in-memory configuration and records (no storage). */
export function rateFrom(config: RatingConfig, accountId: string, period: Period, records: readonly PresenceRecord[], policy: ImplausibleTimePolicy = 'receive-time'): StatementDoc {
  const presence = new PresenceSet();
  for (const r of records) presence.add(r.deviceId, r.deviceTime, r.receivedAt);
  return rateStatement(buildPlan(new ConfigIndex(config), accountId, period), presence.view(policy), policy);
}

/** Compact view of lines for assertions: `kind ref qty amount vat total`. */
export function lineSummary(doc: StatementDoc): string[] {
  return doc.lines.map((l) => `${l.kind} ${l.ref} q=${l.quantity} ${l.amount}+${l.vat}=${l.total}`);
}
