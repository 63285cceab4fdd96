/**
 * The implausible-time rule. A record's device time is *plausible* when it is a finite number,
 * not before `minTime` (default 2000-01-01T00:00Z), not more than `maxAheadMs` (default 10 min)
 * ahead of the time the gateway received it, and — only if `maxBehindMs` is set — not more than
 * that far behind it (off by default: black-box uploads days late are normal).
 *
 * A plausible record marks its device-time minute. An implausible one (no device time, GPS clock
 * not yet synced → 1970/1980 dates, far future) marks the minute of its *receive* time in a
 * separate "fallback" bitmap. Which of the two a statement counts is the policy
 * (`IMPLAUSIBLE_TIME_POLICIES`), applied when presence is read, so storage never depends on it:
 * - `receive-time` (default): fallback minutes count as online (the device was connected then);
 * - `quarantine`: fallback minutes are not billed, only reported as a quarantine tally.
 * Either way a 1970 or far-future minute is never produced. A record whose *receive* time is itself
 * before `minTime` or not finite (a broken gateway clock) is dropped and counted.
 */

export const IMPLAUSIBLE_TIME_POLICIES = ['receive-time', 'quarantine'] as const;
export type ImplausibleTimePolicy = (typeof IMPLAUSIBLE_TIME_POLICIES)[number];
export const DEFAULT_IMPLAUSIBLE_TIME_POLICY: ImplausibleTimePolicy = 'receive-time';

export interface PlausibilityRule {
  /** Earliest plausible time, ms UTC. Default 2000-01-01T00:00:00Z. */
  readonly minTime: number;
  /** How far a device time may be ahead of the receive time. Default 10 minutes. */
  readonly maxAheadMs: number;
  /** How far a device time may be behind the receive time; null = no limit (default). */
  readonly maxBehindMs: number | null;
}

export const DEFAULT_PLAUSIBILITY: PlausibilityRule = Object.freeze({
  minTime: 946_684_800_000,
  maxAheadMs: 10 * 60_000,
  maxBehindMs: null,
});

/** Where a record's minute goes. */
export const VERDICT_DEVICE_TIME = 0;
export const VERDICT_FALLBACK = 1;
export const VERDICT_DROP = 2;
export type Verdict = typeof VERDICT_DEVICE_TIME | typeof VERDICT_FALLBACK | typeof VERDICT_DROP;

/** The one classification both the streaming engine and the batch recompute use. */
export function classifyTime(deviceTime: number | null, receivedAt: number, rule: PlausibilityRule): Verdict {
  if (deviceTime !== null && deviceTime >= rule.minTime && deviceTime <= receivedAt + rule.maxAheadMs) {
    if (rule.maxBehindMs === null || deviceTime >= receivedAt - rule.maxBehindMs) return VERDICT_DEVICE_TIME;
  }
  // `>=` is false for NaN, so a NaN receive time is dropped too.
  if (receivedAt >= rule.minTime && receivedAt < 8.64e15) return VERDICT_FALLBACK;
  return VERDICT_DROP;
}

export function validatePlausibilityRule(rule: PlausibilityRule): PlausibilityRule {
  if (!Number.isFinite(rule.minTime)) throw new Error(`plausibility minTime must be finite, got ${rule.minTime}`);
  if (!Number.isFinite(rule.maxAheadMs) || rule.maxAheadMs < 0) throw new Error(`plausibility maxAheadMs must be ≥ 0, got ${rule.maxAheadMs}`);
  if (rule.maxBehindMs !== null && (!Number.isFinite(rule.maxBehindMs) || rule.maxBehindMs < 0)) {
    throw new Error(`plausibility maxBehindMs must be null or ≥ 0, got ${rule.maxBehindMs}`);
  }
  return rule;
}
