/**
 * The gateway options MQTT reads (cli/config.ts names and documents each). All optional: a gateway
 * started without them (tests, embedders) runs no MQTT at all.
 */
export interface MqttGatewayOptions {
  /** Embedded broker, MQTT over TCP; null: off. */
  readonly mqttPort?: number | null;
  /** Embedded broker, MQTT over TLS (needs cert and key); null: off. */
  readonly mqttTlsPort?: number | null;
  readonly mqttTlsCert?: string;
  readonly mqttTlsKey?: string;
  /** Embedded broker, MQTT over WebSocket; null: off. */
  readonly mqttWsPort?: number | null;
  /** First topic level(s) of every device topic; default `fleetmeter`. */
  readonly mqttTopicPrefix?: string;
  /** External broker URL (mqtt://, mqtts://, ws://, wss://); empty: no bridge. */
  readonly mqttBridgeUrl?: string;
  /** Empty: `<prefix>/+/telemetry/#`. */
  readonly mqttBridgeTopic?: string;
  /** Shared-subscription group; empty: a plain subscription. */
  readonly mqttBridgeGroup?: string;
  readonly mqttBridgeClientId?: string;
  readonly mqttBridgeUsername?: string;
  readonly mqttBridgePassword?: string;
  readonly mqttBridgeConnections?: number;
  readonly mqttBridgeVersion?: 4 | 5;
}
