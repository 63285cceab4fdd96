/**
 * MQTT payload formats as a closed set, the record protocol each one yields, and how a format is
 * chosen: the topic's last level (`…/telemetry/json`) wins, then the MQTT 5 content type, then JSON.
 */
import type { ProtocolName } from '../record.ts';

export const PAYLOAD_FORMATS = ['json', 'protobuf', 'avl'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

export function isPayloadFormat(s: string): s is PayloadFormat {
  return (PAYLOAD_FORMATS as readonly string[]).includes(s);
}

/** The `protocol` stored with the records: raw AVL is Teltonika's own codec. */
export const FORMAT_PROTOCOL: { readonly [F in PayloadFormat]: ProtocolName } = {
  json: 'mqtt-json',
  protobuf: 'mqtt-protobuf',
  avl: 'teltonika',
};

/** MQTT 5 content types understood (lower case, parameters such as `; charset=utf-8` ignored). */
export const CONTENT_TYPES: ReadonlyMap<string, PayloadFormat> = new Map([
  ['application/json', 'json'],
  ['application/x-protobuf', 'protobuf'],
  ['application/protobuf', 'protobuf'],
  ['application/vnd.fleetmeter.telemetry+protobuf', 'protobuf'],
  ['application/vnd.teltonika.avl', 'avl'],
]);

/** The format a content type names, or null when it names none we know. */
export function formatOfContentType(contentType: string | undefined): PayloadFormat | null {
  if (!contentType) return null;
  const bare = contentType.split(';')[0].trim().toLowerCase();
  return CONTENT_TYPES.get(bare) ?? null;
}

/** Topic suffix first, then content type, then JSON (the documented default). */
export function chooseFormat(fromTopic: PayloadFormat | null, contentType: string | undefined): PayloadFormat {
  return fromTopic ?? formatOfContentType(contentType) ?? 'json';
}
