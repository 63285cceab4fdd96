/**
 * Bridge mode: take device telemetry from an existing broker (Mosquitto, EMQX, HiveMQ…) with the
 * `mqtt` client, through the same pipeline, acking each message to the broker only after commit.
 *
 * - Subscription: the configured filter (default `<prefix>/+/telemetry/#`) at QoS 1, as
 *   `$share/<group>/<filter>` when a group is set so that several gateway instances (and several
 *   connections of one instance) split the messages.
 * - Persistent session: a fixed client id, clean = false (MQTT 5: clean start off and a session
 *   expiry of SESSION_EXPIRY_S), so the broker keeps queueing while the gateway is away and
 *   redelivers what was not acked.
 * - Reconnect: mqtt.js reconnects; the period doubles from RECONNECT_MIN_MS to RECONNECT_MAX_MS
 *   while the broker stays unreachable and resets on a successful connect.
 *
 * Ack-after-commit in mqtt.js 5.x (node_modules/mqtt/build/lib/handlers/publish.js, QoS 1): the
 * client calls `options.customHandleAcks(topic, message, packet, cb)` (MQTT 5 only), then
 * `client.handleMessage(packet, cb2)`, and writes the PUBACK, with the reason code given to `cb`,
 * only inside `cb2`. Both steps may call back later, so:
 * - MQTT 5: the work happens in customHandleAcks; committed → reason code 0; a payload that can
 *   never be stored → 0x99 "payload format invalid" (topic outside the scheme → 0x90, device
 *   refused by the registry → 0x87); not committed → `cb(error)`: no PUBACK (`failCustomAck`).
 * - MQTT 3.1.1: the work happens in handleMessage; committed or invalid → PUBACK; not committed →
 *   `cb2(error)`: no PUBACK.
 * Either way a message that was not committed makes the bridge drop the connection: the broker
 * redelivers unacked messages only on reconnect.
 *
 * mqtt.js handles one incoming packet at a time (the next is parsed only after the PUBACK), so a
 * connection carries one message per commit: while messages keep coming, one per
 * `--min-batch-interval-ms` (250 ms) plus the insert. Throughput scales with
 * `--mqtt-bridge-connections` (a shared group is required for more than one), with the points per
 * message, and — at the price of more ClickHouse parts to merge — with a lower interval.
 */
import { hostname } from 'node:os';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { FORMAT_PROTOCOL, chooseFormat, parseTopic } from '../../protocols/mqtt/index.ts';
import type { GatewayContext } from '../context.ts';
import type { MessageIngester } from './ingester.ts';
import type { MqttMetrics } from './metrics.ts';

export interface MqttBridgeOptions {
  readonly url: string;
  /** Topic filter; the group prefix is added here. */
  readonly filter: string;
  readonly group: string;
  /** Empty: `fleetmeter-<hostname>`. Connection i > 0 of several gets `-<i>`. */
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
  readonly prefix: string;
  readonly connections: number;
  readonly protocolVersion: 4 | 5;
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
}

export interface MqttBridge {
  /** Connections currently up. */
  readonly connected: number;
  /** Stops reading new messages (acks of messages being committed still go out). */
  pause(): void;
  close(): Promise<void>;
}

export const SESSION_EXPIRY_S = 7 * 24 * 3600;
const RECONNECT_MIN_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;

/** MQTT 5 PUBACK reason codes (MQTT 5 §3.4.2.1). */
export const REASON = { success: 0, notAuthorized: 0x87, topicNameInvalid: 0x90, payloadFormatInvalid: 0x99 } as const;

type Verdict = { readonly ack: true; readonly reasonCode: number } | { readonly ack: false; readonly error: Error };

export function startMqttBridge(ctx: GatewayContext, ingester: MessageIngester, mqttMetrics: MqttMetrics, options: MqttBridgeOptions): MqttBridge {
  const baseId = options.clientId || `fleetmeter-${hostname()}`;
  const subscription = options.group ? `$share/${options.group}/${options.filter}` : options.filter;
  const minMs = options.reconnectMinMs ?? RECONNECT_MIN_MS;
  const maxMs = options.reconnectMaxMs ?? RECONNECT_MAX_MS;
  const clients: MqttClient[] = [];
  let stopping = false;

  /** Routes, decodes and commits one message; says whether and how to ack it. */
  const settle = async (packet: IPublishPacket, clientId: string): Promise<Verdict> => {
    const receivedAt = Date.now();
    const route = parseTopic(options.prefix, packet.topic);
    if (!route || route.kind !== 'telemetry') {
      mqttMetrics.messages.inc({ source: 'bridge', outcome: 'refused' });
      ctx.log.warn({ topic: packet.topic, clientId }, `bridge: topic is not ${options.prefix}/<deviceId>/telemetry[/<format>]; acked and dropped`);
      return { ack: true, reasonCode: REASON.topicNameInvalid };
    }
    const format = chooseFormat(route.format, packet.properties?.contentType);
    // The external broker authenticated the device: only the registry's block/unknown policy applies.
    const decision = ctx.registry.authorize(route.deviceId, FORMAT_PROTOCOL[format], 'mqtt', null, `bridge:${clientId}`);
    if (decision === 'rejected') {
      mqttMetrics.messages.inc({ source: 'bridge', outcome: 'refused' });
      ctx.log.info({ device: route.deviceId, topic: packet.topic }, 'bridge: device refused by the registry (blocked, or unknown with --unknown-devices reject); acked and dropped');
      return { ack: true, reasonCode: REASON.notAuthorized };
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload;
    try {
      const outcome = await ingester.ingest({ deviceId: route.deviceId, format, payload, receivedAt, topic: packet.topic }, 'bridge');
      return { ack: true, reasonCode: outcome.ok ? REASON.success : REASON.payloadFormatInvalid };
    } catch (err) {
      return { ack: false, error: err as Error };
    }
  };

  const connect = (index: number): MqttClient => {
    const clientId = options.connections > 1 && index > 0 ? `${baseId}-${index}` : baseId;
    const log = ctx.log.child({ bridge: options.url, clientId });
    const v5 = options.protocolVersion === 5;
    let client: MqttClient;
    /** Not committed: no ack; drop the connection so that the broker redelivers. */
    const redeliver = (error: Error) => {
      log.warn({ err: error.message }, 'bridge: message not committed; no ack, reconnecting so the broker redelivers');
      if (!stopping) client.stream?.destroy();
    };
    client = mqtt.connect(options.url, {
      clientId,
      clean: false,
      protocolVersion: options.protocolVersion,
      username: options.username || undefined,
      password: options.password || undefined,
      keepalive: 30,
      connectTimeout: 10_000,
      reconnectPeriod: minMs,
      resubscribe: false,
      properties: v5 ? { sessionExpiryInterval: SESSION_EXPIRY_S } : undefined,
      customHandleAcks: v5
        ? (_topic, _message, packet: IPublishPacket, cb) => {
            void settle(packet, clientId).then((v) => {
              if (v.ack) return cb(v.reasonCode);
              cb(v.error);
              redeliver(v.error);
            });
          }
        : undefined,
    });
    // QoS 0 never reaches customHandleAcks; MQTT 3.1.1 never uses it.
    client.handleMessage = (packet, callback) => {
      if (v5 && packet.qos > 0) return callback();
      void settle(packet as IPublishPacket, clientId).then((v) => {
        if (v.ack) return callback();
        callback(v.error);
        redeliver(v.error);
      });
    };
    let up = false;
    client.on('connect', (connack) => {
      client.options.reconnectPeriod = minMs;
      if (!up) mqttMetrics.bridgeConnected.inc();
      up = true;
      log.info({ sessionPresent: connack.sessionPresent, subscription }, 'bridge connected');
      client.subscribe(subscription, { qos: 1 }, (err, granted) => {
        if (err || !granted || granted.some((g) => g.qos === 128)) {
          log.error({ err: err?.message, granted }, `bridge: subscription to ${subscription} refused by the broker`);
        }
      });
    });
    client.on('close', () => {
      if (up) mqttMetrics.bridgeConnected.dec();
      up = false;
    });
    client.on('reconnect', () => {
      client.options.reconnectPeriod = Math.min(maxMs, (client.options.reconnectPeriod ?? minMs) * 2);
    });
    client.on('error', (err) => log.warn({ err: err.message }, 'bridge connection error'));
    client.on('offline', () => log.warn('bridge offline; reconnecting with backoff'));
    return client;
  };

  for (let i = 0; i < options.connections; i++) clients.push(connect(i));

  return {
    get connected() {
      return clients.filter((c) => c.connected).length;
    },
    pause() {
      stopping = true;
      for (const c of clients) c.stream?.pause();
    },
    async close() {
      stopping = true;
      // A clean DISCONNECT keeps the session (MQTT 5: its expiry was set at CONNECT); after 2 s the
      // socket is simply closed, which keeps it too.
      await Promise.all(
        clients.map((c) =>
          Promise.race([c.endAsync(false).catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]).then(() => {
            if (!c.disconnected) c.stream?.destroy();
          }),
        ),
      );
    },
  };
}
