/**
 * Which addresses a webhook may be delivered to. A subscription's URL is chosen by an API user, so
 * by default it may not reach the gateway's own side of the network: loopback, link-local (cloud
 * metadata at 169.254.169.254), private, shared (carrier NAT), unspecified, multicast and
 * broadcast addresses — IPv4 and IPv6, IPv4-mapped IPv6 (`::ffff:10.0.0.1`) judged as the IPv4
 * address it carries. An explicit allow-list of CIDRs (`--webhook-allow-networks`) opens ranges for
 * on-premise receivers. The check runs on the address the connection is actually made to, after
 * DNS resolution, at delivery time (see `postEvent`): a name that resolves elsewhere later, or to
 * several addresses, cannot slip past it.
 */
import { isIP } from 'node:net';

interface Cidr {
  readonly bytes: Uint8Array;
  readonly prefix: number;
  readonly text: string;
}

const BLOCKED_V4 = [
  ['0.0.0.0/8', 'unspecified ("this network")'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared (carrier NAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (cloud metadata)'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved / broadcast'],
] as const;

const BLOCKED_V6 = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b::/96', 'NAT64 (reaches IPv4 behind it)'],
  ['fc00::/7', 'private (unique local)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated private)'],
  ['ff00::/8', 'multicast'],
] as const;

/** 4 or 16 bytes of an IP address literal, or null when it is not one. */
export function ipBytes(address: string): Uint8Array | null {
  const a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const kind = isIP(a);
  if (kind === 4) return Uint8Array.from(a.split('.').map(Number));
  if (kind !== 6) return null;
  let text = a.replace(/%.*$/, ''); // zone id
  const out = new Uint8Array(16);
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const b = quad[1].split('.').map(Number);
    text = text.slice(0, -quad[1].length) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as its IPv4 bytes; anything else unchanged. */
function unmap(b: Uint8Array): Uint8Array {
  if (b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return b.slice(12);
  return b;
}

export function parseCidr(text: string): Cidr {
  const [addr, len] = text.trim().split('/');
  const bytes = ipBytes(addr ?? '');
  const prefix = len === undefined ? (bytes?.length ?? 0) * 8 : Number(len);
  if (bytes === null || !Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8 || (len !== undefined && !/^\d+$/.test(len))) {
    throw new RangeError(`not a CIDR (address/prefix, e.g. 10.20.0.0/16 or fd00::/8): ${JSON.stringify(text)}`);
  }
  const u = unmap(bytes);
  return { bytes: u, prefix: u.length < bytes.length ? Math.max(0, prefix - 96) : prefix, text: text.trim() };
}

function contains(c: Cidr, b: Uint8Array): boolean {
  if (c.bytes.length !== b.length) return false;
  for (let bit = 0; bit < c.prefix; bit += 8) {
    const n = Math.min(8, c.prefix - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((c.bytes[bit / 8] & mask) !== (b[bit / 8] & mask)) return false;
  }
  return true;
}

const BLOCKED: readonly (Cidr & { why: string })[] = [...BLOCKED_V4, ...BLOCKED_V6].map(([c, why]) => ({ ...parseCidr(c), why }));

/** Parses the allow-list setting: CIDRs separated by commas or spaces (empty: none). Throws RangeError. */
export function parseAllowList(text: string): Cidr[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(parseCidr);
}

/**
 * Why a webhook may not be delivered to `address` (an IP literal), or null when it may. Addresses
 * inside an allow-listed CIDR are always allowed; one that is not an IP literal is refused.
 */
export function refusedTarget(address: string, allow: readonly Cidr[] = []): string | null {
  const raw = ipBytes(address);
  if (raw === null) return `${address} is not an IP address`;
  const b = unmap(raw);
  if (allow.some((c) => contains(c, b))) return null;
  const hit = BLOCKED.find((c) => contains(c, b));
  return hit ? `${address} is a ${hit.why} address (${hit.text}); allow it with --webhook-allow-networks` : null;
}

export type { Cidr as WebhookNetwork };
