/**
 * Webhook targets (issue #20): loopback, link-local, private and unspecified receivers are refused
 * by default — v4, v6 and IPv4-mapped v6 — on the address actually connected to, with an explicit
 * allow-list for on-premise receivers. Real sockets, a real HTTP receiver on loopback.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BillingEvent } from './events.ts';
import { parseAllowList, parseCidr, refusedTarget } from './webhook-targets.ts';
import { postEvent } from './webhooks.ts';

describe('refusedTarget', () => {
  const refused = [
    '127.0.0.1', '127.255.0.9', '0.0.0.0', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '224.0.0.1', '255.255.255.255',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '64:ff9b::a9fe:a9fe',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '::ffff:10.0.0.1', '[::1]',
  ];
  const allowed = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '100.128.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '2a00:1450::1'];
  for (const a of refused) it(`refuses ${a}`, () => expect(refusedTarget(a)).not.toBeNull());
  for (const a of allowed) it(`allows ${a}`, () => expect(refusedTarget(a)).toBeNull());

  it('an allow-list opens exactly its ranges, for mapped addresses too', () => {
    const allow = parseAllowList('10.20.0.0/16, fd00:1::/64 127.0.0.1/32');
    expect(refusedTarget('10.20.5.5', allow)).toBeNull();
    expect(refusedTarget('::ffff:10.20.5.5', allow)).toBeNull();
    expect(refusedTarget('10.21.0.1', allow)).not.toBeNull();
    expect(refusedTarget('fd00:1::9', allow)).toBeNull();
    expect(refusedTarget('fd00:2::9', allow)).not.toBeNull();
    expect(refusedTarget('127.0.0.1', allow)).toBeNull();
    expect(refusedTarget('127.0.0.2', allow)).not.toBeNull();
  });

  it('bad CIDRs are refused by name', () => {
    for (const bad of ['10.0.0.0/33', 'example.com/8', '10.0.0.0/x', 'fd00::/129']) expect(() => parseCidr(bad)).toThrow(RangeError);
    expect(parseAllowList('')).toEqual([]);
  });
});

describe('postEvent checks the address it connects to', () => {
  let server: Server;
  let port = 0;
  const seen: string[] = [];
  const event: BillingEvent = { id: 'ev_1', type: 'device.discovered', ts: Date.UTC(2026, 0, 1), key: 'k', accountId: '', subject: 's', data: {} } as unknown as BillingEvent;
  const opts = { timeoutMs: 2000, now: Date.now };

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
        return;
      }
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('a loopback receiver is refused by default — by literal, by name (localhost) and as IPv4-mapped IPv6 — and never reached', async () => {
    for (const host of ['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]']) {
      const r = await postEvent({ url: `http://${host}:${port}/hook`, secret: 's' }, event, 1, opts);
      expect(r.ok).toBe(false);
      expect(r.status).toBe(0);
      expect(r.error).toMatch(/target refused/);
    }
    expect(seen).toEqual([]);
  });

  it('allow-listed, it is delivered', async () => {
    const r = await postEvent({ url: `http://localhost:${port}/hook`, secret: 's' }, event, 1, { ...opts, allowNetworks: parseAllowList('127.0.0.0/8,::1/128') });
    expect(r).toEqual({ ok: true, status: 200, error: '' });
    expect(seen).toEqual(['/hook']);
  });

  it('redirects are not followed: a 3xx is a failed try', async () => {
    seen.length = 0;
    const r = await postEvent({ url: `http://127.0.0.1:${port}/redirect`, secret: 's' }, event, 1, { ...opts, allowNetworks: parseAllowList('127.0.0.0/8') });
    expect(r).toMatchObject({ ok: false, status: 302 });
    expect(seen).toEqual(['/redirect']);
  });

  it('not http(s): refused without a connection', async () => {
    const r = await postEvent({ url: 'file:///etc/passwd', secret: 's' }, event, 1, opts);
    expect(r).toMatchObject({ ok: false, status: 0 });
  });
});
