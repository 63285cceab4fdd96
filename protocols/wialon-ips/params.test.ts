import { describe, expect, it } from 'vitest';
import { formatParams, parseParams } from './params.ts';

describe('parseParams (§7 NAME:TYPE:VALUE)', () => {
  it('§13 W5: count1:1:564,fuel:2:45.8,hw:3:V4.5 → int, double, string', () => {
    expect(parseParams('count1:1:564,fuel:2:45.8,hw:3:V4.5')).toEqual({
      ok: true,
      params: [
        { name: 'count1', type: 1, value: 564 },
        { name: 'fuel', type: 2, value: 45.8 },
        { name: 'hw', type: 3, value: 'V4.5' },
      ],
      dropped: [],
    });
  });
  it('§13 W7: a negative int and the reserved SOS (upper case kept)', () => {
    const r = parseParams('iparam:1:-55,SOS:1:1');
    expect(r).toEqual({ ok: true, params: [{ name: 'iparam', type: 1, value: -55 }, { name: 'SOS', type: 1, value: 1 }], dropped: [] });
  });
  it('§4/§13 W6: UTF-8 Cyrillic names and values round-trip', () => {
    const r = parseParams('Батарея:3:100 %,водитель:3:Иванов И.И.');
    expect(r).toEqual({
      ok: true,
      params: [
        { name: 'Батарея', type: 3, value: '100 %' },
        { name: 'водитель', type: 3, value: 'Иванов И.И.' },
      ],
      dropped: [],
    });
    if (r.ok) expect(formatParams(r.params)).toBe('Батарея:3:100 %,водитель:3:Иванов И.И.');
  });
  it('splits on the first two ":" only: a string value may contain ":"', () => {
    expect(parseParams('url:3:http://x:8080/a')).toEqual({ ok: true, params: [{ name: 'url', type: 3, value: 'http://x:8080/a' }], dropped: [] });
  });
  it('real devices: type-3 true/false, empty string value', () => {
    expect(parseParams('ign:3:true,x:3:')).toEqual({
      ok: true,
      params: [
        { name: 'ign', type: 3, value: 'true' },
        { name: 'x', type: 3, value: '' },
      ],
      dropped: [],
    });
  });
  it('cell ids with numeric suffixes (§7 reserved names)', () => {
    const r = parseParams('mcc:1:250,mnc:1:1,lac:1:7702,cell_id:1:30911,mcc1:1:250');
    expect(r.ok && r.params.map((p) => [p.name, p.value])).toEqual([
      ['mcc', 250],
      ['mnc', 1],
      ['lac', 7702],
      ['cell_id', 30911],
      ['mcc1', 250],
    ]);
  });
  it('64-bit ints beyond 2^53 are bigint', () => {
    expect(parseParams('odo:1:9223372036854775807')).toEqual({ ok: true, params: [{ name: 'odo', type: 1, value: 9223372036854775807n }], dropped: [] });
  });
  it('NA and empty mean no params; empty items are skipped', () => {
    expect(parseParams('NA')).toEqual({ ok: true, params: [], dropped: [] });
    expect(parseParams('')).toEqual({ ok: true, params: [], dropped: [] });
    expect(parseParams('a:1:1,,b:1:2,')).toEqual({
      ok: true,
      params: [
        { name: 'a', type: 1, value: 1 },
        { name: 'b', type: 1, value: 2 },
      ],
      dropped: [],
    });
  });
  it('§7: a value that does not match its type is dropped, the rest kept', () => {
    const r = parseParams('a:1:x,b:2:abc,c:1:1.5,d:1:99999999999999999999,e:2:1e999,f:1:7');
    expect(r.ok && r.params).toEqual([{ name: 'f', type: 1, value: 7 }]);
    expect(r.ok && r.dropped).toHaveLength(5);
  });
  it('not NAME:TYPE:VALUE at all → params error (AD 15)', () => {
    for (const bad of ['novalue', 'a:1', ':1:5', 'a:4:5', 'a::5', 'a:01:5', 'ok:1:1,bad']) expect(parseParams(bad).ok, bad).toBe(false);
  });
});

describe('formatParams', () => {
  it('[] → NA; joins name:type:value', () => {
    expect(formatParams([])).toBe('NA');
    expect(
      formatParams([
        { name: 'a', type: 1, value: -1n },
        { name: 'b', type: 2, value: 0.5 },
        { name: 'c', type: 3, value: 'x:y' },
      ]),
    ).toBe('a:1:-1,b:2:0.5,c:3:x:y');
  });
  it('throws on what cannot be represented', () => {
    expect(() => formatParams([{ name: 'a b', type: 1, value: 1 }])).toThrow(RangeError);
    expect(() => formatParams([{ name: 'a:b', type: 1, value: 1 }])).toThrow(RangeError);
    expect(() => formatParams([{ name: '', type: 1, value: 1 }])).toThrow(RangeError);
    expect(() => formatParams([{ name: 'a', type: 3, value: 'x,y' }])).toThrow(RangeError);
    expect(() => formatParams([{ name: 'a', type: 3, value: 'x;y' }])).toThrow(RangeError);
    expect(() => formatParams([{ name: 'a', type: 1, value: 1.5 }])).toThrow(RangeError);
    expect(() => formatParams([{ name: 'a', type: 1, value: 2n ** 63n }])).toThrow(RangeError);
    expect(() => formatParams([{ name: 'a', type: 2, value: Number.POSITIVE_INFINITY }])).toThrow(RangeError);
  });
});
