import { describe, expect, it } from 'vitest';
import { minimumTopUp } from './minimum-charge.ts';
import { dec } from './money.ts';

describe('minimum charge', () => {
  it('tops up to the minimum, never below zero', () => {
    expect(minimumTopUp(dec('40.00'), dec('50.00')).toFixed()).toBe('10');
    expect(minimumTopUp(dec('50.00'), dec('50.00')).toFixed()).toBe('0');
    expect(minimumTopUp(dec('60.00'), dec('50.00')).toFixed()).toBe('0');
    expect(minimumTopUp(dec('0'), dec('0')).toFixed()).toBe('0');
  });
});
