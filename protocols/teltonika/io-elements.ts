/**
 * Well-known Teltonika IO ids (teltonika.md §5 "Common FMB AVL IDs", cross-checked with traccar),
 * one line each: id → name → how to read. For presentation (logs, the decode CLI, API views) only;
 * the decoder never consults it: it stores raw unsigned values (§5 "store the unsigned raw value …
 * and apply a per-ID table afterwards"). Semantics depend on the device model.
 */
import type { IoValue } from '../record.ts';

/** How to present a raw value. */
export const IO_READS = ['uint', 'bool', 'enum', 'scaled', 'hex', 'ascii'] as const;
export type IoRead = (typeof IO_READS)[number];

export interface IoElementInfo {
  readonly id: number;
  /** Stable snake_case key. */
  readonly name: string;
  readonly label: string;
  /** Width the device normally uses (1, 2, 4, 8 bytes or 'X' for NX). */
  readonly size: 1 | 2 | 4 | 8 | 'X';
  readonly read: IoRead;
  readonly unit?: string;
  /** For `scaled`: presented value = raw × scale. */
  readonly scale?: number;
}

const io = (
  id: number, name: string, label: string, size: IoElementInfo['size'], read: IoRead, unit?: string, scale?: number,
): IoElementInfo => Object.freeze({ id, name, label, size, read, ...(unit === undefined ? {} : { unit }), ...(scale === undefined ? {} : { scale }) });

export const IO_ELEMENTS: readonly IoElementInfo[] = Object.freeze([
  io(1, 'din1', 'Digital input 1', 1, 'bool'),
  io(9, 'ain1', 'Analog input 1', 2, 'uint', 'mV'),
  io(11, 'iccid1', 'ICCID part 1', 8, 'uint'),
  io(14, 'iccid2', 'ICCID part 2', 8, 'uint'),
  io(16, 'total_odometer', 'Total odometer', 4, 'uint', 'm'),
  io(21, 'gsm_signal', 'GSM signal', 1, 'uint', '0-5'),
  io(24, 'speed', 'Speed', 2, 'uint', 'km/h'),
  io(66, 'external_voltage', 'External voltage', 2, 'uint', 'mV'),
  io(67, 'battery_voltage', 'Battery voltage', 2, 'uint', 'mV'),
  io(68, 'battery_current', 'Battery current', 2, 'uint', 'mA'),
  io(69, 'gnss_status', 'GNSS status', 1, 'enum'),
  io(78, 'ibutton', 'iButton ID', 8, 'hex'),
  io(80, 'data_mode', 'Data mode', 1, 'enum'),
  io(181, 'gnss_pdop', 'GNSS PDOP', 2, 'scaled', undefined, 0.1),
  io(182, 'gnss_hdop', 'GNSS HDOP', 2, 'scaled', undefined, 0.1),
  io(199, 'trip_odometer', 'Trip odometer', 4, 'uint', 'm'),
  io(200, 'sleep_mode', 'Sleep mode', 1, 'enum'),
  io(205, 'gsm_cell_id', 'GSM cell ID', 2, 'uint'),
  io(206, 'gsm_area_code', 'GSM area code', 2, 'uint'),
  io(239, 'ignition', 'Ignition', 1, 'bool'),
  io(240, 'movement', 'Movement', 1, 'bool'),
  io(241, 'gsm_operator', 'Active GSM operator (MCC+MNC)', 4, 'uint'),
  io(256, 'vin', 'VIN', 'X', 'ascii'),
  io(281, 'fault_codes', 'Fault codes (DTC, comma-separated)', 'X', 'ascii'),
]);

const BY_ID: ReadonlyMap<number, IoElementInfo> = new Map(IO_ELEMENTS.map((e) => [e.id, e]));

export function ioElementInfo(id: number): IoElementInfo | undefined {
  return BY_ID.get(id);
}

export interface PresentedIo {
  readonly id: number;
  /** The table's name, or `io<id>` for ids not in the table. */
  readonly name: string;
  readonly value: number | boolean | string | bigint;
  readonly unit?: string;
}

const latin1 = new TextDecoder('latin1');

/** Presents one raw IO value by the table. Unknown ids and unexpected value types pass through raw. */
export function presentIo(id: number, raw: IoValue): PresentedIo {
  const info = BY_ID.get(id);
  if (info === undefined) return { id, name: `io${id}`, value: rawValue(raw) };
  const unit = info.unit === undefined ? {} : { unit: info.unit };
  switch (info.read) {
    case 'bool':
      if (typeof raw === 'number') return { id, name: info.name, value: raw !== 0 };
      break;
    case 'scaled':
      if (typeof raw === 'number') return { id, name: info.name, value: Math.round(raw * (info.scale ?? 1) * 1e6) / 1e6, ...unit };
      break;
    case 'hex':
      if (typeof raw === 'bigint') return { id, name: info.name, value: raw.toString(16).toUpperCase().padStart(16, '0') };
      if (raw instanceof Uint8Array) return { id, name: info.name, value: hex(raw) };
      break;
    case 'ascii':
      if (raw instanceof Uint8Array) return { id, name: info.name, value: latin1.decode(raw) };
      break;
    case 'uint':
    case 'enum':
      break;
  }
  return { id, name: info.name, value: rawValue(raw), ...unit };
}

function rawValue(raw: IoValue): number | boolean | string | bigint {
  return raw instanceof Uint8Array ? hex(raw) : raw;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).toUpperCase().padStart(2, '0');
  return s;
}
