import { describe, expect, it } from 'vitest';
import { IO_ELEMENTS, ioElementInfo, presentIo } from './io-elements.ts';

describe('IO element table (teltonika.md §5)', () => {
  it('has one entry per id', () => {
    expect(new Set(IO_ELEMENTS.map((e) => e.id)).size).toBe(IO_ELEMENTS.length);
    expect(new Set(IO_ELEMENTS.map((e) => e.name)).size).toBe(IO_ELEMENTS.length);
  });

  it('knows the ids the brief and §5 name, with their widths', () => {
    const expected: [number, string, number | 'X'][] = [
      [239, 'ignition', 1], [240, 'movement', 1], [21, 'gsm_signal', 1], [66, 'external_voltage', 2],
      [67, 'battery_voltage', 2], [16, 'total_odometer', 4], [24, 'speed', 2], [78, 'ibutton', 8], [9, 'ain1', 2],
      [256, 'vin', 'X'], [281, 'fault_codes', 'X'],
    ];
    for (const [id, name, size] of expected) expect(ioElementInfo(id), String(id)).toMatchObject({ id, name, size });
    expect(ioElementInfo(12345)).toBeUndefined();
  });

  it('presents raw values by the table', () => {
    expect(presentIo(239, 1)).toStrictEqual({ id: 239, name: 'ignition', value: true });
    expect(presentIo(240, 0)).toStrictEqual({ id: 240, name: 'movement', value: false });
    expect(presentIo(66, 24079)).toStrictEqual({ id: 66, name: 'external_voltage', value: 24079, unit: 'mV' }); // §12 E2
    expect(presentIo(182, 6)).toStrictEqual({ id: 182, name: 'gnss_hdop', value: 0.6 }); // §12 E3: HDOP 0.6
    expect(presentIo(181, 11)).toStrictEqual({ id: 181, name: 'gnss_pdop', value: 1.1 }); // §12 E3: PDOP 1.1
    expect(presentIo(78, 0x0102030405060708n)).toStrictEqual({ id: 78, name: 'ibutton', value: '0102030405060708' });
    expect(presentIo(256, new TextEncoder().encode('WVWZZZ1JZXW000001'))).toStrictEqual({ id: 256, name: 'vin', value: 'WVWZZZ1JZXW000001' });
    expect(presentIo(999, 5)).toStrictEqual({ id: 999, name: 'io999', value: 5 });
    expect(presentIo(999, Uint8Array.of(0xab, 0x01))).toStrictEqual({ id: 999, name: 'io999', value: 'AB01' });
    expect(presentIo(239, 7n)).toStrictEqual({ id: 239, name: 'ignition', value: 7n }); // unexpected type: raw
  });
});
