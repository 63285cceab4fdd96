import { describe, expect, it } from 'vitest';
import { proratedQuantity } from './proration.ts';

describe('proration by days', () => {
  it('days / days in month, half-up to 6 decimals', () => {
    expect(proratedQuantity(10, 31).toFixed()).toBe('0.322581'); // 0.32258064…
    expect(proratedQuantity(15, 30).toFixed()).toBe('0.5');
    expect(proratedQuantity(1, 28).toFixed()).toBe('0.035714'); // 0.0357142857…
    expect(proratedQuantity(31, 31).toFixed()).toBe('1');
    expect(proratedQuantity(0, 31).toFixed()).toBe('0');
  });
});
