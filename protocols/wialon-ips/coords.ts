/**
 * §10 coordinates: latitude `DDMM.MMMM` + N/S, longitude `DDDMM.MMMM` + E/W, minutes with a
 * variable-length fraction. `5544.6025;N` = 55 + 44.6025/60 = 55.743375.
 */
import { isAbsent, parseDecimal } from './fields.ts';

export type Axis = 'lat' | 'lon';

/**
 * §10 robust conversion (survives devices that drop leading zeros, e.g. `3644.670410;E`):
 * `deg = trunc(v / 100); min = v - deg * 100; dd = deg + min / 60`. NaN when `min >= 60`.
 */
export function ddmmToDegrees(v: number): number {
  const deg = Math.trunc(v / 100);
  const min = v - deg * 100;
  if (min >= 60) return NaN;
  return deg + min / 60;
}

/**
 * One coordinate from its value and hemisphere fields.
 * - `null` when the value is `NA` or empty (§10: absent, not an error);
 * - NaN (answer code 10) when the value is not a non-negative decimal, minutes are ≥ 60, the
 *   hemisphere is not N/S (latitude) or E/W (longitude), or |lat| > 90, |lon| > 180.
 */
export function parseCoordinate(value: string, hemisphere: string, axis: Axis): number | null {
  if (isAbsent(value)) return null;
  const v = parseDecimal(value);
  if (!(v >= 0)) return NaN; // NaN or negative: the sign belongs in the hemisphere
  const dd = ddmmToDegrees(v);
  if (!(dd <= (axis === 'lat' ? 90 : 180))) return NaN;
  let negative: boolean;
  if (axis === 'lat') {
    if (hemisphere === 'N') negative = false;
    else if (hemisphere === 'S') negative = true;
    else return NaN;
  } else if (hemisphere === 'E') negative = false;
  else if (hemisphere === 'W') negative = true;
  else return NaN;
  return negative && dd !== 0 ? -dd : dd; // no -0
}

/**
 * Degrees → `[value, hemisphere]` with `minuteDecimals` digits of minutes (default 4, the spec's
 * `DDMM.MMMM`) and zero-padded degrees (2 for latitude, 3 for longitude). `null` → `['NA', 'NA']`.
 * Throws RangeError for non-finite or out-of-range input.
 */
export function formatCoordinate(deg: number | null, axis: Axis, minuteDecimals = 4): [string, string] {
  if (deg === null) return ['NA', 'NA'];
  const limit = axis === 'lat' ? 90 : 180;
  if (!Number.isFinite(deg) || Math.abs(deg) > limit) {
    throw new RangeError(`${axis === 'lat' ? 'latitude' : 'longitude'} must be within ±${limit}, got ${deg}`);
  }
  if (!Number.isInteger(minuteDecimals) || minuteDecimals < 0 || minuteDecimals > 9) {
    throw new RangeError(`minuteDecimals must be an integer 0..9, got ${minuteDecimals}`);
  }
  const abs = Math.abs(deg);
  let whole = Math.trunc(abs);
  const scale = 10 ** minuteDecimals;
  let units = Math.round((abs - whole) * 60 * scale);
  if (units >= 60 * scale) {
    whole += 1;
    units -= 60 * scale;
  }
  const minutes = Math.trunc(units / scale);
  const fraction = units - minutes * scale;
  let text = String(whole).padStart(axis === 'lat' ? 2 : 3, '0') + String(minutes).padStart(2, '0');
  if (minuteDecimals > 0) text += '.' + String(fraction).padStart(minuteDecimals, '0');
  const hemisphere = axis === 'lat' ? (deg < 0 ? 'S' : 'N') : deg < 0 ? 'W' : 'E';
  return [text, hemisphere];
}
