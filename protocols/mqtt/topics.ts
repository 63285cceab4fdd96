/**
 * The MQTT topic scheme (README "MQTT"), under a configurable prefix (default `fleetmeter`):
 *
 *   <prefix>/<deviceId>/telemetry            device → gateway, format by MQTT 5 content type, else JSON
 *   <prefix>/<deviceId>/telemetry/<format>   device → gateway, format json | protobuf | avl
 *   <prefix>/<deviceId>/commands             gateway → device (the only topic a device may subscribe to)
 *   <prefix>/<deviceId>/responses            device → gateway, answers to commands
 *
 * Pure functions: parsing never throws; an unknown shape is `null`.
 */
import { isPayloadFormat, type PayloadFormat } from './formats.ts';

export type TopicRoute =
  | { readonly kind: 'telemetry'; readonly deviceId: string; readonly format: PayloadFormat | null }
  | { readonly kind: 'commands'; readonly deviceId: string }
  | { readonly kind: 'responses'; readonly deviceId: string };

export const DEFAULT_TOPIC_PREFIX = 'fleetmeter';
export const MAX_DEVICE_ID_LENGTH = 64;

/**
 * A device id usable as one topic level and as an MQTT client id: 1..64 characters, none of
 * `/ + #`, whitespace or NUL, not starting with `$` (reserved for broker topics).
 */
export function isDeviceId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_DEVICE_ID_LENGTH && !/[/+#\s\u0000]/.test(id) && id[0] !== '$';
}

export function parseTopic(prefix: string, topic: string): TopicRoute | null {
  if (topic.length <= prefix.length + 1 || !topic.startsWith(prefix) || topic[prefix.length] !== '/') return null;
  const levels = topic.slice(prefix.length + 1).split('/');
  const [deviceId, kind, format] = levels;
  if (!isDeviceId(deviceId)) return null;
  if (kind === 'telemetry') {
    if (levels.length === 2) return { kind, deviceId, format: null };
    if (levels.length === 3 && isPayloadFormat(format)) return { kind, deviceId, format };
    return null;
  }
  if ((kind === 'commands' || kind === 'responses') && levels.length === 2) return { kind, deviceId };
  return null;
}

export function telemetryTopic(prefix: string, deviceId: string, format?: PayloadFormat): string {
  return format ? `${prefix}/${deviceId}/telemetry/${format}` : `${prefix}/${deviceId}/telemetry`;
}

export function commandTopic(prefix: string, deviceId: string): string {
  return `${prefix}/${deviceId}/commands`;
}

export function responseTopic(prefix: string, deviceId: string): string {
  return `${prefix}/${deviceId}/responses`;
}

/** The bridge's default subscription: every device's telemetry, any format. */
export function telemetryFilter(prefix: string): string {
  return `${prefix}/+/telemetry/#`;
}
