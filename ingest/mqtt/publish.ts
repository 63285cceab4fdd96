/**
 * The embedded broker's PUBLISH step, where ack-after-commit happens.
 *
 * aedes runs `authorizePublish → enqueuePublish` in series for each PUBLISH, and enqueuePublish
 * writes the PUBACK (QoS 1) / PUBREC (QoS 2) only after authorizePublish has called back without
 * an error (node_modules/aedes/lib/handlers/publish.js: `publishActions = [authorizePublish,
 * enqueuePublish]`; `case 1: write(client, new PubAck(packet), …)`). So the work is done here and
 * the callback waits for the commit:
 *
 * - committed → callback(null) → PUBACK;
 * - not committed → callback(err) → aedes emits `clientError` and closes the connection without
 *   a PUBACK (lib/client.js `_onError`); the client redelivers on reconnect (MQTT-4.4.0-1);
 * - a payload that can never be stored → logged, counted, callback(null): acked away. MQTT 3.1.1
 *   has no negative PUBACK, and refusing it would make the device redeliver it forever.
 *
 * QoS 0 takes the same path (the callback still waits for the commit, so a device is throttled to
 * what storage takes) but has no ack: a commit failure closes the connection and the message is
 * lost, which is what QoS 0 means.
 *
 * A device may publish to its own telemetry and responses topics only; anything else is refused
 * by closing the connection (MQTT-3.3.5-2: no way to tell a 3.1.1 client otherwise). The retain
 * flag is cleared: the broker never keeps telemetry. Nobody can subscribe to telemetry topics
 * (access.ts), so the broker's own delivery step after the PUBACK matches no subscriber and
 * stores nothing.
 */
import type { Client, PublishPacket } from 'aedes';
import { parseTopic } from '../../protocols/mqtt/index.ts';
import type { GatewayContext } from '../context.ts';
import { remoteOf } from './access.ts';
import type { MessageIngester } from './ingester.ts';
import type { MqttMetrics } from './metrics.ts';
import { parseCommandResponse } from './command-channel.ts';

export function createPublishHandler(ctx: GatewayContext, ingester: MessageIngester, mqttMetrics: MqttMetrics, prefix: string) {
  return function authorizePublish(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    if (!client) {
      // The will of a client connected to a broker instance that is gone: nobody to attribute it to.
      callback(new Error('will without a client'));
      return;
    }
    const route = parseTopic(prefix, packet.topic);
    if (!route || route.deviceId !== client.id || route.kind === 'commands') {
      mqttMetrics.messages.inc({ source: 'broker', outcome: 'refused' });
      ctx.log.warn(
        { device: client.id, topic: packet.topic, remote: remoteOf(client) },
        `MQTT publish refused: a device may publish only to ${prefix}/<its id>/telemetry[/<format>] and ${prefix}/<its id>/responses; closing the connection`,
      );
      callback(new Error(`publish to ${packet.topic} not authorized`));
      return;
    }
    const revoked = ctx.registry.revoked(client.id);
    if (revoked !== null) {
      mqttMetrics.messages.inc({ source: 'broker', outcome: 'refused' });
      ctx.log.info({ device: client.id, reason: revoked }, 'MQTT session ended: device no longer allowed');
      callback(new Error(`device ${client.id} no longer allowed: ${revoked}`));
      return;
    }
    packet.retain = false;
    const receivedAt = Date.now();
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload;
    if (route.kind === 'responses') {
      const r = parseCommandResponse(payload);
      ctx.commands.response(client.id, 'mqtt', [r.response], receivedAt, r.id);
      mqttMetrics.messages.inc({ source: 'broker', outcome: 'answered' });
      callback(null);
      return;
    }
    // MQTT 3.1.1 has no content type: the topic names the format, JSON by default.
    ingester.ingest({ deviceId: client.id, format: route.format ?? 'json', payload, receivedAt, topic: packet.topic }, 'broker').then(
      () => callback(null),
      (err: Error) => {
        ctx.log.warn({ device: client.id, err: err.message }, 'MQTT message not committed: closing the connection without an ack; the device redelivers');
        callback(err);
      },
    );
  };
}
