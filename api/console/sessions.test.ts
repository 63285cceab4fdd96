/** Console sessions (idle and absolute expiry, a bound on their number, CSRF tokens) and the HTML escaping every page relies on. */
import { describe, expect, it } from 'vitest';
import { formatDecimal, html } from './html.ts';
import { ConsoleSessions } from './sessions.ts';

describe('console sessions', () => {
  it('end after the idle time, and after the absolute lifetime however busy', () => {
    let now = 0;
    const s = new ConsoleSessions(() => now, { idleMs: 1000, maxAgeMs: 5000 });
    const a = s.create('fmk_a', 'a', 'Anna', ['read']);
    now = 999;
    expect(s.get(a.id)?.keyId).toBe('a');
    now = 1999;
    expect(s.get(a.id)).not.toBeNull(); // used at 999: idle only 1000
    now = 3000;
    expect(s.get(a.id)).toBeNull(); // idle 1001
    const b = s.create('fmk_b', 'b', 'Boris', ['write']);
    for (now = 3000; now <= 8000; now += 900) expect(s.get(b.id), `at ${now}`).not.toBeNull();
    now = 8001;
    expect(s.get(b.id)).toBeNull(); // 5001 after sign-in
    expect(s.get(undefined)).toBeNull();
    expect(s.get('')).toBeNull();
  });

  it('ids and CSRF tokens are random and unrelated to the key; sign-out ends one session', () => {
    const s = new ConsoleSessions(() => 0);
    const a = s.create('fmk_secret', 'k', 'K', ['read']);
    const b = s.create('fmk_secret', 'k', 'K', ['read']);
    expect(a.id).not.toBe(b.id);
    expect(a.csrf).not.toBe(b.csrf);
    expect(a.id).not.toContain('secret');
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ConsoleSessions.csrfMatches(a, a.csrf)).toBe(true);
    expect(ConsoleSessions.csrfMatches(a, b.csrf)).toBe(false);
    expect(ConsoleSessions.csrfMatches(a, undefined)).toBe(false);
    expect(ConsoleSessions.csrfMatches(a, a.csrf.slice(1))).toBe(false);
    s.end(a.id);
    expect(s.get(a.id)).toBeNull();
    expect(s.get(b.id)).not.toBeNull();
  });

  it('hold at most maxSessions: the least recently used ends first', () => {
    let now = 0;
    const s = new ConsoleSessions(() => now, { maxSessions: 2 });
    const a = s.create('k1', '1', '1', ['read']);
    now = 1;
    const b = s.create('k2', '2', '2', ['read']);
    now = 2;
    s.get(a.id); // a used after b
    now = 3;
    const c = s.create('k3', '3', '3', ['read']);
    expect(s.size).toBe(2);
    expect(s.get(b.id)).toBeNull();
    expect(s.get(a.id)).not.toBeNull();
    expect(s.get(c.id)).not.toBeNull();
  });
});

describe('console html', () => {
  it('escapes every interpolated value (device ids and names come from outside)', () => {
    const id = '<script>alert(1)</script>"\'&';
    expect(html`<td title="${id}">${id}</td>`.text).toBe('<td title="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;</td>');
    expect(html`<p>${[html`<b>${'<i>'}</b>`, '<u>']}</p>`.text).toBe('<p><b>&lt;i&gt;</b>&lt;u&gt;</p>');
  });

  it('formats decimal text per language without turning it into a float', () => {
    expect(formatDecimal('12345678901234567.89', 'ru')).toBe('12\u202f345\u202f678\u202f901\u202f234\u202f567,89');
    expect(formatDecimal('12345678901234567.89', 'en')).toBe('12,345,678,901,234,567.89');
    expect(formatDecimal('-1500.50', 'ru')).toBe('−1\u202f500,50');
    expect(formatDecimal('999', 'en')).toBe('999');
    expect(formatDecimal('n/a', 'en')).toBe('n/a');
  });
});
