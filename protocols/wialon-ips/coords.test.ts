import { describe, expect, it } from 'vitest';
import { ddmmToDegrees, formatCoordinate, parseCoordinate } from './coords.ts';

describe('parseCoordinate (§10)', () => {
  it('§10 latitude 5544.6025;N = 55 + 44.6025/60 = 55.743375', () => {
    expect(parseCoordinate('5544.6025', 'N', 'lat')).toBeCloseTo(55.743375, 10);
  });
  it('§10 longitude 03739.6834;E = 37 + 39.6834/60 = 37.66139', () => {
    expect(parseCoordinate('03739.6834', 'E', 'lon')).toBeCloseTo(37.66139, 10);
  });
  it('§10 robust rule: a longitude with its leading zero dropped (3644.670410;E) = 36.7445068', () => {
    expect(parseCoordinate('3644.670410', 'E', 'lon')).toBeCloseTo(36 + 44.67041 / 60, 10);
    expect(parseCoordinate('3644.670410', 'E', 'lon')).toBeCloseTo(36.7445068, 7);
  });
  it('S and W are negative, N and E positive', () => {
    expect(parseCoordinate('3352.1234', 'S', 'lat')).toBeCloseTo(-(33 + 52.1234 / 60), 10);
    expect(parseCoordinate('07003.5000', 'W', 'lon')).toBeCloseTo(-70.058333333, 8);
    expect(parseCoordinate('3352.1234', 'N', 'lat')).toBeGreaterThan(0);
    expect(parseCoordinate('07003.5000', 'E', 'lon')).toBeGreaterThan(0);
  });
  it('accepts any number of minute decimals, or none', () => {
    expect(parseCoordinate('5544', 'N', 'lat')).toBeCloseTo(55 + 44 / 60, 10);
    expect(parseCoordinate('5544.602512345', 'N', 'lat')).toBeCloseTo(55 + 44.602512345 / 60, 10);
    expect(parseCoordinate('0000.0000', 'N', 'lat')).toBe(0);
  });
  it('zero in the southern/western hemisphere is 0, not -0', () => {
    expect(Object.is(parseCoordinate('0000.0000', 'S', 'lat'), 0)).toBe(true);
    expect(Object.is(parseCoordinate('00000.0000', 'W', 'lon'), 0)).toBe(true);
  });
  it('NA or empty value is absent (null), whatever the hemisphere field says', () => {
    expect(parseCoordinate('NA', 'NA', 'lat')).toBeNull();
    expect(parseCoordinate('', '', 'lon')).toBeNull();
    expect(parseCoordinate('NA', 'N', 'lat')).toBeNull();
  });
  it('rejects (NaN, answer code 10) minutes ≥ 60, |lat| > 90, |lon| > 180, bad hemispheres, junk', () => {
    expect(parseCoordinate('5560.0000', 'N', 'lat')).toBeNaN(); // minutes = 60
    expect(parseCoordinate('9100.0000', 'N', 'lat')).toBeNaN();
    expect(parseCoordinate('18100.0000', 'E', 'lon')).toBeNaN();
    expect(parseCoordinate('9000.0000', 'N', 'lat')).toBe(90);
    expect(parseCoordinate('18000.0000', 'W', 'lon')).toBe(-180);
    expect(parseCoordinate('5544.6025', 'E', 'lat')).toBeNaN(); // E is not a latitude hemisphere
    expect(parseCoordinate('03739.6834', 'N', 'lon')).toBeNaN();
    expect(parseCoordinate('5544.6025', 'NA', 'lat')).toBeNaN(); // value without hemisphere
    expect(parseCoordinate('5544.6025', 'n', 'lat')).toBeNaN();
    expect(parseCoordinate('-5544.6025', 'N', 'lat')).toBeNaN(); // the sign belongs in the hemisphere
    expect(parseCoordinate('55x44', 'N', 'lat')).toBeNaN();
    expect(parseCoordinate('5544.60.25', 'N', 'lat')).toBeNaN();
  });
  it('ddmmToDegrees is the doc formula', () => {
    expect(ddmmToDegrees(5544.6025)).toBeCloseTo(55.743375, 10);
    expect(ddmmToDegrees(59.99)).toBeCloseTo(59.99 / 60, 12);
    expect(ddmmToDegrees(5560)).toBeNaN();
  });
});

describe('formatCoordinate', () => {
  it('§10 examples back to their text, 2-digit latitude and 3-digit longitude degrees', () => {
    expect(formatCoordinate(55.743375, 'lat')).toEqual(['5544.6025', 'N']);
    expect(formatCoordinate(37.66139, 'lon')).toEqual(['03739.6834', 'E']);
    expect(formatCoordinate(36.7445068333, 'lon', 6)).toEqual(['03644.670410', 'E']);
  });
  it('negative → S / W; small degrees zero-padded', () => {
    expect(formatCoordinate(-7.5, 'lat')).toEqual(['0730.0000', 'S']);
    expect(formatCoordinate(-0.25, 'lon', 2)).toEqual(['00015.00', 'W']);
    expect(formatCoordinate(0, 'lat', 0)).toEqual(['0000', 'N']);
  });
  it('carries a rounding of 60 minutes into the degrees', () => {
    expect(formatCoordinate(55.99999999, 'lat')).toEqual(['5600.0000', 'N']);
  });
  it('null → NA;NA', () => {
    expect(formatCoordinate(null, 'lat')).toEqual(['NA', 'NA']);
  });
  it('throws on unrepresentable input', () => {
    expect(() => formatCoordinate(90.5, 'lat')).toThrow(RangeError);
    expect(() => formatCoordinate(-181, 'lon')).toThrow(RangeError);
    expect(() => formatCoordinate(Number.NaN, 'lon')).toThrow(RangeError);
    expect(() => formatCoordinate(1, 'lon', 10)).toThrow(RangeError);
  });
  it('format → parse returns the value to the precision of the minute decimals', () => {
    for (let i = 0; i <= 1000; i++) {
      const lat = -90 + (180 * i) / 1000;
      const lon = -180 + (360 * i) / 1000;
      const [lv, lh] = formatCoordinate(lat, 'lat', 6);
      const [ov, oh] = formatCoordinate(lon, 'lon', 6);
      expect(parseCoordinate(lv, lh, 'lat')).toBeCloseTo(lat, 7);
      expect(parseCoordinate(ov, oh, 'lon')).toBeCloseTo(lon, 7);
    }
  });
});
