/**
 * The embedded MQTT broker (aedes, MQTT 3.1.1 / 3.1): listeners → access control → the PUBLISH
 * step that commits before it acks (publish.ts) → command channels for connected devices.
 * aedes keeps its session state (subscriptions, QoS 1 commands for offline persistent sessions)
 * in its default in-memory persistence; telemetry is never kept by the broker.
 */
import { Aedes, type Client } from 'aedes';
import type { GatewayContext } from '../context.ts';
import { createAccessControl, remoteOf } from './access.ts';
import { mqttCommandChannel } from './command-channel.ts';
import type { MessageIngester } from './ingester.ts';
import { startMqttListeners, type MqttListenerOptions, type MqttListeners } from './listeners.ts';
import type { MqttMetrics } from './metrics.ts';
import { createPublishHandler } from './publish.ts';

export interface MqttBrokerOptions extends MqttListenerOptions {
  readonly prefix: string;
}

export interface MqttBroker {
  readonly ports: MqttListeners['ports'];
  stopAccepting(): Promise<void>;
  close(): Promise<void>;
}

const LABELS = { protocol: 'mqtt', transport: 'mqtt' } as const;

export async function startMqttBroker(ctx: GatewayContext, ingester: MessageIngester, mqttMetrics: MqttMetrics, options: MqttBrokerOptions): Promise<MqttBroker> {
  const { log } = ctx;
  const access = createAccessControl(ctx, mqttMetrics, options.prefix);
  const broker = await Aedes.createBroker({
    preConnect: access.preConnect,
    authenticate: access.authenticate,
    authorizeSubscribe: access.authorizeSubscribe,
    authorizeForward: access.authorizeForward,
    authorizePublish: createPublishHandler(ctx, ingester, mqttMetrics, options.prefix),
    // QoS 2 from devices: the receive window aedes keeps per client while awaiting PUBREL.
    maxInflightInbound: 100,
  });

  const detach = new Map<Client, () => void>();
  broker.on('client', (client) => {
    ctx.metrics.connections.inc(LABELS);
    ctx.metrics.connectionsTotal.inc(LABELS);
    const channel = mqttCommandChannel(broker, client, options.prefix, (err) => log.warn({ device: client.id, err: err.message }, 'MQTT command publish failed'));
    detach.set(client, ctx.commands.attachChannel(client.id, 'mqtt', channel));
    log.debug({ device: client.id, remote: remoteOf(client) }, 'MQTT device connected');
  });
  broker.on('clientDisconnect', (client) => {
    ctx.metrics.connections.dec(LABELS);
    detach.get(client)?.();
    detach.delete(client);
    log.debug({ device: client.id }, 'MQTT device disconnected');
  });
  broker.on('clientError', (client, err) => log.debug({ device: client.id, err: err.message }, 'MQTT client error'));
  broker.on('connectionError', (client, err) => log.debug({ remote: remoteOf(client), err: err.message }, 'MQTT connection error'));

  let listeners: MqttListeners;
  try {
    listeners = await startMqttListeners(options, (conn) => broker.handle(conn), { metrics: ctx.metrics, mqttMetrics, log });
  } catch (err) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }

  return {
    ports: listeners.ports,
    stopAccepting: () => listeners.stopAccepting(),
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      listeners.destroyConnections();
    },
  };
}
