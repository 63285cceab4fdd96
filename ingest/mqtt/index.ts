/**
 * MQTT ingest, started and stopped by the gateway as one piece: the embedded broker (unless its
 * ports are all off) and the bridge to an external broker (when a URL is set), both feeding the
 * gateway's pipeline through one MessageIngester.
 */
import { telemetryFilter, DEFAULT_TOPIC_PREFIX } from '../../protocols/mqtt/index.ts';
import type { GatewayContext } from '../context.ts';
import { startMqttBridge, type MqttBridge } from './bridge.ts';
import { startMqttBroker, type MqttBroker } from './broker.ts';
import { PipelineGate } from './gate.ts';
import { MessageIngester } from './ingester.ts';
import { createMqttMetrics } from './metrics.ts';
import type { MqttGatewayOptions } from './options.ts';

export type { MqttGatewayOptions } from './options.ts';

export interface MqttService {
  readonly ports: { mqtt?: number; mqttTls?: number; mqttWs?: number };
  /** Stops taking new connections and new bridge messages; commits under way still get acked. */
  quiesce(): Promise<void>;
  close(): Promise<void>;
}

/** Extra MQTT bytes around a payload (fixed header, topic, properties) allowed by the packet limit. */
const PACKET_OVERHEAD = 1024;

export async function startMqtt(
  ctx: GatewayContext,
  options: MqttGatewayOptions & { readonly host: string; readonly maxConnections: number; readonly connectionsPerAddress: number; readonly maxConnectionsPerAddress?: number; readonly idleTimeoutMs: number },
): Promise<MqttService | null> {
  const port = options.mqttPort ?? null;
  const tlsPort = options.mqttTlsPort ?? null;
  const wsPort = options.mqttWsPort ?? null;
  const bridgeUrl = options.mqttBridgeUrl ?? '';
  if (port === null && tlsPort === null && wsPort === null && !bridgeUrl) return null;

  const prefix = options.mqttTopicPrefix || DEFAULT_TOPIC_PREFIX;
  const mqttMetrics = createMqttMetrics(ctx.metrics.registry);
  const gate = new PipelineGate(ctx.pipeline, mqttMetrics.waiting);
  const ingester = new MessageIngester(ctx, gate, mqttMetrics);

  let broker: MqttBroker | null = null;
  if (port !== null || tlsPort !== null || wsPort !== null) {
    broker = await startMqttBroker(ctx, ingester, mqttMetrics, {
      host: options.host,
      port,
      tlsPort,
      tlsCert: options.mqttTlsCert ?? '',
      tlsKey: options.mqttTlsKey ?? '',
      wsPort,
      maxConnections: options.maxConnections,
      connectionsPerAddressPerSecond: options.connectionsPerAddress,
      maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 0,
      idleTimeoutMs: options.idleTimeoutMs,
      maxPacketBytes: ctx.limits.maxFrameSize + PACKET_OVERHEAD,
      prefix,
    });
  }
  let bridge: MqttBridge | null = null;
  if (bridgeUrl) {
    bridge = startMqttBridge(ctx, ingester, mqttMetrics, {
      url: bridgeUrl,
      filter: options.mqttBridgeTopic || telemetryFilter(prefix),
      group: options.mqttBridgeGroup ?? '',
      clientId: options.mqttBridgeClientId ?? '',
      username: options.mqttBridgeUsername ?? '',
      password: options.mqttBridgePassword ?? '',
      prefix,
      connections: options.mqttBridgeConnections ?? 1,
      protocolVersion: options.mqttBridgeVersion ?? 5,
    });
  }

  // server.close() settles only once every connection has gone, so it is awaited in close().
  let stopped: Promise<void> | undefined;
  return {
    ports: broker?.ports ?? {},
    async quiesce() {
      bridge?.pause();
      stopped ??= broker?.stopAccepting();
    },
    async close() {
      stopped ??= broker?.stopAccepting();
      gate.close();
      await bridge?.close();
      await broker?.close();
      await stopped;
    },
  };
}
