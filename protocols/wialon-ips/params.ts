/**
 * §7 params of `#D#`: comma-separated `NAME:TYPE:VALUE`, TYPE 1 = integer (64-bit), 2 = double,
 * 3 = string. Split each item on the first two `:` only, so a string value may contain `:`.
 *
 * Decoding is liberal where the doc says Wialon is: a value that does not match its declared type
 * is dropped (the rest of the message stands) and reported as a warning. An item that is not
 * `NAME:TYPE:VALUE` at all (no two `:`, empty name, TYPE not 1/2/3) is a params error (AD 15).
 * Names keep the device's spelling; §7 asks to treat them case-insensitively downstream.
 */
import type { WialonParam } from './model.ts';
import { formatNumber, isAbsent, parseDecimal, parseInt64 } from './fields.ts';

export type ParamsParse =
  | { readonly ok: true; readonly params: WialonParam[]; readonly dropped: string[] }
  | { readonly ok: false; readonly message: string };

const NONE: ParamsParse = { ok: true, params: [], dropped: [] };

export function parseParams(field: string): ParamsParse {
  if (isAbsent(field)) return NONE;
  const params: WialonParam[] = [];
  const dropped: string[] = [];
  const items = field.split(',');
  for (const item of items) {
    if (item === '') continue; // tolerate `a:1:1,,b:1:2` and a trailing comma
    const c1 = item.indexOf(':');
    const c2 = c1 < 0 ? -1 : item.indexOf(':', c1 + 1);
    if (c1 <= 0 || c2 < 0) return { ok: false, message: `param "${item.slice(0, 64)}" is not NAME:TYPE:VALUE` };
    const name = item.slice(0, c1);
    const type = item.slice(c1 + 1, c2);
    const raw = item.slice(c2 + 1);
    if (type === '1') {
      const v = parseInt64(raw);
      if (v === null) dropped.push(`${name}: "${raw.slice(0, 32)}" is not a 64-bit integer`);
      else params.push({ name, type: 1, value: v });
    } else if (type === '2') {
      const v = parseDecimal(raw);
      if (Number.isNaN(v)) dropped.push(`${name}: "${raw.slice(0, 32)}" is not a double`);
      else params.push({ name, type: 2, value: v === 0 ? 0 : v });
    } else if (type === '3') {
      params.push({ name, type: 3, value: raw });
    } else {
      return { ok: false, message: `param "${name.slice(0, 38)}" has type "${type.slice(0, 8)}", expected 1, 2 or 3` };
    }
  }
  return { ok: true, params, dropped };
}

/** Characters a name may not contain (§7: space , : # CR LF; plus the field separators ; |). */
const BAD_NAME = /[\s,:#;|]/;
/** A string value cannot hold the list separator `,` (§7), nor the field/record separators and CR/LF. */
const BAD_STRING = /[,;|\r\n]/;

/** Encodes params as the decoder reads them back; `[]` → `NA`. Throws on unrepresentable input. */
export function formatParams(params: readonly WialonParam[]): string {
  if (params.length === 0) return 'NA';
  const items: string[] = [];
  for (const p of params) {
    if (p.name === '' || BAD_NAME.test(p.name)) throw new RangeError(`param name "${p.name}" is empty or has a forbidden character`);
    let value: string;
    if (p.type === 1) {
      if (typeof p.value === 'number' && !Number.isSafeInteger(p.value)) throw new RangeError(`param ${p.name}: ${p.value} is not a safe integer`);
      value = String(p.value);
      if (parseInt64(value) === null) throw new RangeError(`param ${p.name}: ${value} is outside the 64-bit range`);
    } else if (p.type === 2) {
      value = formatNumber(p.value, `param ${p.name}`);
    } else {
      if (BAD_STRING.test(p.value)) throw new RangeError(`param ${p.name}: a string value cannot contain , ; | CR or LF`);
      value = p.value;
    }
    items.push(p.name + ':' + p.type + ':' + value);
  }
  return items.join(',');
}
