/**
 * MQTT payload codecs (pure): JSON (TypeBox schema), Protobuf (telemetry.proto) and raw Teltonika
 * AVL, and the topic scheme. The broker, the bridge and acks live in `ingest/mqtt/`.
 *
 *   parseTopic(prefix, topic) → { kind: 'telemetry', deviceId, format } | commands | responses | null
 *   decodePayload(chooseFormat(topicFormat, contentType), bytes, { deviceId, receivedAt }) → records | error
 */
export { decodePayload } from './decode.ts';
export type { PayloadResult } from './result.ts';
export { CONTENT_TYPES, FORMAT_PROTOCOL, PAYLOAD_FORMATS, chooseFormat, formatOfContentType, isPayloadFormat } from './formats.ts';
export type { PayloadFormat } from './formats.ts';
export { JsonPayloadSchema, JsonPointSchema } from './json.ts';
export type { JsonPoint } from './json.ts';
export { TELEMETRY_PROTO_PATH, encodeProtobufTelemetry } from './protobuf.ts';
export type { ProtoPointInput } from './protobuf.ts';
export { POINT_LIMITS } from './point.ts';
export {
  DEFAULT_TOPIC_PREFIX,
  MAX_DEVICE_ID_LENGTH,
  commandTopic,
  isDeviceId,
  parseTopic,
  responseTopic,
  telemetryFilter,
  telemetryTopic,
} from './topics.ts';
export type { TopicRoute } from './topics.ts';
