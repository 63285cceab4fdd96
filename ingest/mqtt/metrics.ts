/** MQTT-specific metrics, registered on the gateway's registry (the shared ones live in ../metrics.ts). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const MQTT_SOURCES = ['broker', 'bridge'] as const;
export type MqttSource = (typeof MQTT_SOURCES)[number];

export const MESSAGE_OUTCOMES = ['stored', 'invalid', 'refused', 'failed', 'answered'] as const;
export type MessageOutcome = (typeof MESSAGE_OUTCOMES)[number];

export function createMqttMetrics(registry: Registry) {
  return {
    messages: new Counter({
      name: 'fleetmeter_mqtt_messages_total',
      help: 'MQTT messages by source (broker, bridge) and outcome: stored, invalid (payload rejected), refused (topic not allowed), failed (not committed: no ack), answered (command response)',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: 'fleetmeter_mqtt_ack_seconds',
      help: 'From a telemetry message arriving to its ack being released (commit included)',
      labelNames: ['source'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers: [registry],
    }),
    waiting: new Gauge({ name: 'fleetmeter_mqtt_waiting_messages', help: 'MQTT messages held (not read on) because the pipeline is full', registers: [registry] }),
    subscriptionsRefused: new Counter({ name: 'fleetmeter_mqtt_subscriptions_refused_total', help: 'SUBSCRIBE requests refused by the ACL', registers: [registry] }),
    oversized: new Counter({ name: 'fleetmeter_mqtt_oversized_packets_total', help: 'MQTT connections cut for a packet larger than the limit', registers: [registry] }),
    bridgeConnected: new Gauge({ name: 'fleetmeter_mqtt_bridge_connected', help: 'Bridge connections to the external broker that are up', registers: [registry] }),
  };
}

export type MqttMetrics = ReturnType<typeof createMqttMetrics>;
