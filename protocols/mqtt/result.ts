/** What decoding one MQTT payload gives: records, or a typed error (never a throw). */
import type { ProtocolError } from '../common/errors.ts';
import type { TelemetryRecord } from '../record.ts';

export type PayloadResult =
  | { readonly ok: true; readonly records: TelemetryRecord[]; readonly warnings?: string[] }
  | { readonly ok: false; readonly error: ProtocolError };
