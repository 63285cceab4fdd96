/**
 * The fast path of `#SD#`, `#D#` and `#B#` (§6–§8): the packet's bytes are scanned in place, as the
 * Teltonika path reads its frames — field boundaries found by byte, numbers, dates and coordinates
 * read straight from the bytes, strings made only for what a record keeps (param names, string
 * values, iButton) — and each body becomes its `TelemetryRecord` without an intermediate body object.
 *
 * It accepts only what it can decode exactly as the text path (data.ts: `parseDataBody`) would, and
 * declines (returns null) everything else: any field the text path would refuse, and the rare
 * forms it leaves to that path (numbers beyond 15 digits or with an exponent, 64-bit integers,
 * params that would be dropped). The caller then runs the text path, which gives the exact answer
 * code, message and warnings. So the two cannot disagree on what is accepted, and errors are
 * described by one parser (`test: scan.test.ts` checks both on mutated bodies).
 */
import type { IoElement, TelemetryRecord } from '../record.ts';
import { ddmmToDegrees } from './coords.ts';
import { utf8 } from './fields.ts';
import type { WialonVersion } from './model.ts';

const SEMI = 0x3b;
const COMMA = 0x2c;
const COLON = 0x3a;
const DOT = 0x2e;

/** Exact powers of ten as doubles (10^0..10^15), as fields.ts's parseDecimal uses them. */
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Days before month m (1-based) in a common year. */
const DAYS_BEFORE_MONTH = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
/** Days from 1970-01-01 to 2000-01-01. */
const DAYS_TO_2000 = 10_957;

/** Returned by the number readers when the field is absent (`NA` or empty). */
const ABSENT = -Infinity; // never a value a reader returns otherwise
/** Returned when the field is not in the fast form (the text path decides). */
const DECLINE = NaN;

/** The `extras` of an SD and of a D body's record, as one packet type gives them. */
export interface BodyExtras {
  readonly SD: TelemetryRecord['extras'];
  readonly D: TelemetryRecord['extras'];
}

const extrasOf = (version: WialonVersion): { readonly packet: BodyExtras; readonly blackBox: BodyExtras } => ({
  packet: { SD: Object.freeze({ packetType: 'SD', version }), D: Object.freeze({ packetType: 'D', version }) },
  blackBox: { SD: Object.freeze({ packetType: 'B', version, bodyType: 'SD' }), D: Object.freeze({ packetType: 'B', version, bodyType: 'D' }) },
});

/** Frozen, shared `extras` of Wialon records (per version; `#SD#`/`#D#` packets, and `#B#` bodies): they never change and save one allocation per record. */
export const WIALON_EXTRAS: { readonly [V in WialonVersion]: ReturnType<typeof extrasOf> } = { '1.1': extrasOf('1.1'), '2.0': extrasOf('2.0') };

function absent(b: Uint8Array, s: number, e: number): boolean {
  return e === s || (e - s === 2 && b[s] === 0x4e && b[s + 1] === 0x41); // '' or 'NA'
}

/**
 * A decimal in `b[s,e)` in the fast form of fields.ts's parseDecimal (optional sign, ≤ 15 digits,
 * at most one `.`), computed the same way, so the value is the same bit for bit. ABSENT for `NA`
 * or empty when `optional`; DECLINE for anything else.
 */
function decimal(b: Uint8Array, s: number, e: number, optional: boolean): number {
  if (optional && absent(b, s, e)) return ABSENT;
  let i = s;
  const c0 = b[i];
  const neg = c0 === 0x2d;
  if (neg || c0 === 0x2b) i++;
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let dot = false;
  for (; i < e; i++) {
    const c = b[i];
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      if (dot) fraction++;
    } else if (c === DOT && !dot) {
      dot = true;
    } else {
      return DECLINE;
    }
  }
  if (digits === 0 || digits > 15) return DECLINE;
  const v = fraction === 0 ? mantissa : mantissa / POW10[fraction];
  return neg ? -v : v;
}

/** An unsigned integer of 1–15 digits (fields.ts parseBitmask's fast form); DECLINE otherwise. */
function unsigned(b: Uint8Array, s: number, e: number): number {
  if (e - s < 1 || e - s > 15) return DECLINE;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = b[i] - 0x30;
    if (d < 0 || d > 9) return DECLINE;
    v = v * 10 + d;
  }
  return v;
}

/** A signed integer of 1–15 digits (fields.ts parseInt64's fast form; `-0` → 0); DECLINE otherwise. */
function int(b: Uint8Array, s: number, e: number): number {
  if (b[s] === 0x2d) {
    const v = unsigned(b, s + 1, e);
    return v !== 0 ? -v : 0;
  }
  return unsigned(b, s, e);
}

function two(b: Uint8Array, at: number): number {
  const x = b[at] - 0x30;
  const y = b[at + 1] - 0x30;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : DECLINE;
}

/** datetime.ts parseDateTime on bytes: ABSENT when either field is absent, DECLINE when not a valid instant. */
function dateTime(b: Uint8Array, ds: number, de: number, ts: number, te: number): number {
  if (absent(b, ds, de) || absent(b, ts, te)) return ABSENT;
  if (de - ds !== 6 || te - ts < 6 || te - ts > 16) return DECLINE;
  const day = two(b, ds);
  const month = two(b, ds + 2);
  const year = two(b, ds + 4);
  const hh = two(b, ts);
  const mm = two(b, ts + 2);
  const ss = two(b, ts + 4);
  if (Number.isNaN(day + month + year + hh + mm + ss)) return DECLINE;
  let ms = 0;
  if (te - ts > 6) {
    if (b[ts + 6] !== DOT || te - ts === 7) return DECLINE;
    let scale = 100;
    for (let i = ts + 7; i < te; i++) {
      const d = b[i] - 0x30;
      if (d < 0 || d > 9) return DECLINE;
      ms += d * scale;
      scale /= 10;
    }
    ms = Math.trunc(ms);
  }
  if (month < 1 || month > 12 || day < 1 || hh > 23 || mm > 59 || ss > 59) return DECLINE;
  if (day > (month === 2 && year % 4 === 0 ? 29 : DAYS_IN_MONTH[month])) return DECLINE;
  // Date.UTC(2000 + year, month - 1, day, hh, mm, ss, ms) in integer arithmetic (2000..2099: every 4th year is leap).
  const days = DAYS_TO_2000 + year * 365 + ((year + 3) >> 2) + DAYS_BEFORE_MONTH[month] + (month > 2 && year % 4 === 0 ? 1 : 0) + day - 1;
  return (((days * 24 + hh) * 60 + mm) * 60 + ss) * 1000 + ms;
}

/** coords.ts parseCoordinate on bytes: ABSENT, degrees, or DECLINE. */
function coordinate(b: Uint8Array, vs: number, ve: number, hs: number, he: number, lat: boolean): number {
  if (absent(b, vs, ve)) return ABSENT;
  const v = decimal(b, vs, ve, false);
  if (!(v >= 0)) return DECLINE;
  const dd = ddmmToDegrees(v);
  if (!(dd <= (lat ? 90 : 180))) return DECLINE;
  if (he - hs !== 1) return DECLINE;
  const h = b[hs];
  let negative: boolean;
  if (h === (lat ? 0x4e : 0x45)) negative = false; // N / E
  else if (h === (lat ? 0x53 : 0x57)) negative = true; // S / W
  else return DECLINE;
  return negative && dd !== 0 ? -dd : dd;
}

/** Recently made strings of up to 32 bytes, by a hash of their bytes: param names and repeated values are one string each, not one per record. */
const internedBytes: Uint8Array[] = new Array<Uint8Array>(512).fill(new Uint8Array(0));
const internedText: string[] = new Array<string>(512).fill('');

/**
 * `b[s,e)` as text, as decoding the packet as UTF-8 and splitting it gives (per field is the same:
 * separators are ASCII). Up to 32 bytes are interned; ASCII and 2–3-byte UTF-8 are decoded here,
 * anything else (4-byte sequences, invalid UTF-8 → U+FFFD) by TextDecoder.
 */
function text(b: Uint8Array, s: number, e: number): string {
  const n = e - s;
  if (n > 32) return decode(b, s, e);
  let h = n;
  for (let i = s; i < e; i++) h = (h * 31 + b[i]) | 0;
  const slot = h & 511;
  const known = internedBytes[slot];
  if (known.length === n) {
    let k = 0;
    while (k < n && known[k] === b[s + k]) k++;
    if (k === n) return internedText[slot];
  }
  const out = decode(b, s, e);
  internedBytes[slot] = b.slice(s, e);
  internedText[slot] = out;
  return out;
}

function decode(b: Uint8Array, s: number, e: number): string {
  if (e - s > 64) return utf8(b, s, e);
  let out = '';
  for (let j = s; j < e; ) {
    const c = b[j];
    if (c < 0x80) {
      out += String.fromCharCode(c);
      j++;
    } else if (c >= 0xc2 && c <= 0xdf && j + 1 < e && (b[j + 1] & 0xc0) === 0x80) {
      out += String.fromCharCode(((c & 0x1f) << 6) | (b[j + 1] & 0x3f));
      j += 2;
    } else if (c >= 0xe0 && c <= 0xef && j + 2 < e && (b[j + 1] & 0xc0) === 0x80 && (b[j + 2] & 0xc0) === 0x80) {
      const u = ((c & 0x0f) << 12) | ((b[j + 1] & 0x3f) << 6) | (b[j + 2] & 0x3f);
      if (u < 0x800 || (u >= 0xd800 && u <= 0xdfff)) return utf8(b, s, e); // overlong or a surrogate: invalid
      out += String.fromCharCode(u);
      j += 3;
    } else {
      return utf8(b, s, e);
    }
  }
  return out;
}

/** Field ends (index of each `;`, and the body's end) of the body being read; 16 fields at most, +1 to see a 17th. */
const ends = new Int32Array(18);
const BAR = 0x7c; // '|'

/** Where the last `scanBody` with `toBar` found its body's end (the `|` or the limit), also when it declined. */
export let scannedEnd = 0;

/**
 * One SD (10 fields) or D (16 fields) body in `b[s,e)` as a record, or null to decline. With
 * `only` set, the body must have that many fields (an `#SD#`/`#D#` packet); else either (a `#B#`
 * body: then the body ends at the first `|` before `e`, and `scannedEnd` says where).
 */
export function scanBody(
  b: Uint8Array,
  s: number,
  e: number,
  only: 10 | 16 | null,
  deviceId: string,
  receivedAt: number,
  extras: BodyExtras,
  archive: boolean,
): TelemetryRecord | null {
  let n = 0;
  let i = s;
  let over = false;
  if (only === null) {
    for (; i < e; i++) {
      const c = b[i];
      if (c === SEMI) {
        if (n === 16) over = true;
        else ends[n++] = i;
      } else if (c === BAR) break;
    }
    scannedEnd = i;
  } else {
    for (; i < e; i++) {
      if (b[i] === SEMI) {
        if (n === 16) return null;
        ends[n++] = i;
      }
    }
  }
  if (over) return null;
  e = i;
  ends[n++] = e;
  if (only !== null ? n !== only : n !== 10 && n !== 16) return null;
  // Field k is b[start(k), ends[k]).
  const time = dateTime(b, s, ends[0], ends[0] + 1, ends[1]);
  if (Number.isNaN(time)) return null;
  const latitude = coordinate(b, ends[1] + 1, ends[2], ends[2] + 1, ends[3], true);
  if (Number.isNaN(latitude)) return null;
  const longitude = coordinate(b, ends[3] + 1, ends[4], ends[4] + 1, ends[5], false);
  if (Number.isNaN(longitude)) return null;
  const speed = decimal(b, ends[5] + 1, ends[6], true);
  if (Number.isNaN(speed) || (speed !== ABSENT && speed < 0)) return null;
  const course = decimal(b, ends[6] + 1, ends[7], true);
  if (Number.isNaN(course) || (course !== ABSENT && (course < 0 || course > 360))) return null;
  const altitude = decimal(b, ends[7] + 1, ends[8], true);
  if (Number.isNaN(altitude)) return null;
  const satellites = decimal(b, ends[8] + 1, ends[9], true);
  if (satellites !== ABSENT && !(Number.isSafeInteger(satellites) && satellites >= 0)) return null;
  let hdop: number | null = null;
  let io: IoElement[];
  if (n === 16) {
    const h = decimal(b, ends[9] + 1, ends[10], true);
    if (Number.isNaN(h) || (h !== ABSENT && h < 0)) return null;
    hdop = h === ABSENT ? null : h === 0 ? 0 : h;
    const scanned = scanIo(b);
    if (scanned === null) return null;
    io = scanned;
  } else {
    io = [];
  }
  const lat = latitude === ABSENT ? null : latitude;
  const lon = longitude === ABSENT ? null : longitude;
  const sats = satellites === ABSENT ? null : satellites;
  return {
    protocol: 'wialon-ips',
    deviceId,
    deviceTime: time === ABSENT ? null : time,
    receivedAt,
    latitude: lat,
    longitude: lon,
    altitude: altitude === ABSENT ? null : altitude === 0 ? 0 : altitude,
    speed: speed === ABSENT ? null : speed === 0 ? 0 : speed,
    course: course === ABSENT ? null : course === 0 ? 0 : course,
    satellites: sats,
    hdop,
    valid: lat !== null && lon !== null && (sats === null || sats >= 3),
    priority: null,
    eventId: null,
    io,
    archive,
    extras: n === 16 ? extras.D : extras.SD,
  };
}

/** Fields 11–15 of a D body (inputs, outputs, adc, ibutton, params; bounds in `ends`) as io elements, in data.ts bodyIo's order; null to decline. */
function scanIo(b: Uint8Array): IoElement[] | null {
  const io: IoElement[] = [];
  let s = ends[10] + 1;
  let e = ends[11];
  if (!absent(b, s, e)) {
    const v = unsigned(b, s, e);
    if (Number.isNaN(v)) return null;
    io.push({ id: 'inputs', value: v });
  }
  s = ends[11] + 1;
  e = ends[12];
  if (!absent(b, s, e)) {
    const v = unsigned(b, s, e);
    if (Number.isNaN(v)) return null;
    io.push({ id: 'outputs', value: v });
  }
  // adc1..adcN: comma-separated; an absent item is skipped (null in the body), an empty list is none.
  s = ends[12] + 1;
  e = ends[13];
  if (!absent(b, s, e)) {
    let k = 1;
    for (let from = s; ; k++) {
      let to = from;
      while (to < e && b[to] !== COMMA) to++;
      if (!absent(b, from, to)) {
        const v = decimal(b, from, to, false);
        if (Number.isNaN(v)) return null;
        io.push({ id: 'adc' + k, value: v === 0 ? 0 : v });
      }
      if (to >= e) break;
      from = to + 1;
    }
  }
  s = ends[13] + 1;
  e = ends[14];
  if (!absent(b, s, e)) io.push({ id: 'ibutton', value: text(b, s, e) });
  // params: NAME:TYPE:VALUE, comma-separated; empty items skipped.
  s = ends[14] + 1;
  e = ends[15];
  if (absent(b, s, e)) return io;
  for (let from = s; from <= e; ) {
    let to = from;
    while (to < e && b[to] !== COMMA) to++;
    if (to > from) {
      let c1 = from;
      while (c1 < to && b[c1] !== COLON) c1++;
      if (c1 === from || c1 + 2 >= to || b[c1 + 2] !== COLON) {
        // Not `NAME:T:…` with a one-character type: the text path decides (a type other than 1–3, no second `:`).
        return null;
      }
      const type = b[c1 + 1];
      const vs = c1 + 3;
      let value: number | string;
      if (type === 0x31) {
        value = int(b, vs, to);
        if (Number.isNaN(value)) return null; // 64-bit, or dropped with a warning: the text path
      } else if (type === 0x32) {
        value = decimal(b, vs, to, false);
        if (Number.isNaN(value)) return null;
        if (value === 0) value = 0;
      } else if (type === 0x33) {
        value = text(b, vs, to);
      } else {
        return null;
      }
      io.push({ id: text(b, from, c1), value });
    }
    from = to + 1;
  }
  return io;
}
