import { describe, expect, it } from 'vitest';
import { DEFAULT_PLAUSIBILITY, VERDICT_DEVICE_TIME, VERDICT_DROP, VERDICT_FALLBACK, classifyTime } from './plausibility.ts';

const R = Date.UTC(2024, 5, 1, 12, 0); // received 2024-06-01 12:00Z
const rule = DEFAULT_PLAUSIBILITY;

describe('implausible-time rule', () => {
  it('counts device time when plausible, including days-late black-box data', () => {
    expect(classifyTime(R, R, rule)).toBe(VERDICT_DEVICE_TIME);
    expect(classifyTime(R - 3 * 86_400_000, R, rule)).toBe(VERDICT_DEVICE_TIME);
    expect(classifyTime(R + 10 * 60_000, R, rule)).toBe(VERDICT_DEVICE_TIME); // exactly 10 min ahead: allowed
    expect(classifyTime(Date.UTC(2000, 0, 1), R, rule)).toBe(VERDICT_DEVICE_TIME);
  });

  it('falls back to receive time for null, far-future, pre-2000 and NaN device times', () => {
    expect(classifyTime(null, R, rule)).toBe(VERDICT_FALLBACK);
    expect(classifyTime(R + 10 * 60_000 + 1, R, rule)).toBe(VERDICT_FALLBACK);
    expect(classifyTime(Date.UTC(2000, 0, 1) - 1, R, rule)).toBe(VERDICT_FALLBACK);
    expect(classifyTime(0, R, rule)).toBe(VERDICT_FALLBACK); // unsynced GPS: 1970
    expect(classifyTime(Date.UTC(1980, 0, 6), R, rule)).toBe(VERDICT_FALLBACK); // GPS epoch
    expect(classifyTime(Number.NaN, R, rule)).toBe(VERDICT_FALLBACK);
  });

  it('drops a record whose receive time is itself implausible', () => {
    expect(classifyTime(null, 0, rule)).toBe(VERDICT_DROP);
    expect(classifyTime(R, Number.NaN, rule)).toBe(VERDICT_DROP);
  });

  it('an optional max-behind limit', () => {
    const strict = { ...rule, maxBehindMs: 86_400_000 };
    expect(classifyTime(R - 86_400_000, R, strict)).toBe(VERDICT_DEVICE_TIME);
    expect(classifyTime(R - 86_400_001, R, strict)).toBe(VERDICT_FALLBACK);
  });
});
