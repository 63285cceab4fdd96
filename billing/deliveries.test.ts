import { describe, expect, it } from 'vitest';
import { retryDelay } from './deliveries.ts';
import { signature, verifySignature } from './webhooks.ts';

describe('retry backoff', () => {
  const policy = { baseMs: 1000, maxMs: 60_000, maxAttempts: 0 };
  it('doubles from base, capped at max; jitter spreads the upper half', () => {
    expect([1, 2, 3, 4, 10].map((a) => retryDelay(a, policy, () => 1))).toEqual([1000, 2000, 4000, 8000, 60_000]);
    expect([1, 2, 3].map((a) => retryDelay(a, policy, () => 0))).toEqual([500, 1000, 2000]);
    expect(retryDelay(1000, policy, () => 0.5)).toBe(45_000);
  });
});

describe('webhook signature', () => {
  it('HMAC-SHA256 over "<t>.<body>" (known vector), checked with a tolerance', () => {
    // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    expect(signature('secret', 1_700_000_000, '{"a":1}')).toBe('t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686');
    const h = signature('secret', 1_700_000_000, '{"a":1}');
    expect(verifySignature('secret', h, '{"a":1}', 1_700_000_100)).toBe(true);
    expect(verifySignature('secret', h, '{"a":1}', 1_700_000_000 + 301)).toBe(false);
    expect(verifySignature('secret', h, '{"a":2}', 1_700_000_000)).toBe(false);
    expect(verifySignature('secret', 'garbage', '{"a":1}', 1_700_000_000)).toBe(false);
  });
});
