/**
 * Wires the device-facing gateway from one config: storage, migrations, the device registry, the
 * group-commit pipeline, the TCP/UDP listeners, MQTT (embedded broker and bridge) and the admin
 * server. `close()` is the graceful
 * shutdown: stop accepting, commit and ack what was received, then close everything.
 */
import type { Logger } from 'pino';
import { decodeUdpDatagram as decodeTeltonikaUdp } from '../protocols/teltonika/index.ts';
import { decodeUdpDatagram as decodeWialonUdp } from '../protocols/wialon-ips/index.ts';
import type { Store } from '../store/types.ts';
import { AccountAccess } from './account-access.ts';
import { type AdminKeys, startAdminServer, type AdminServer } from './admin-server.ts';
import { CommandJournal } from './command-journal.ts';
import { CommandRouter } from './commands.ts';
import type { GatewayContext } from './context.ts';
import { DeviceRegistry } from './device-registry.ts';
import { DecodeErrorLog } from './error-log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { startMqtt, type MqttGatewayOptions, type MqttService } from './mqtt/index.ts';
import { type BatchDeriver, Pipeline, type RecordSink } from './pipeline.ts';
import { startTcpListener, type TcpListener } from './tcp-server.ts';
import { teltonikaTcpHandler } from './teltonika-tcp.ts';
import { startUdpListener, type UdpListener } from './udp-server.ts';
import { wialonTcpHandler } from './wialon-tcp.ts';

export interface GatewayOptions extends MqttGatewayOptions {
  readonly host: string;
  readonly teltonikaTcp: number | null;
  readonly teltonikaUdp: number | null;
  readonly wialonTcp: number | null;
  readonly wialonUdp: number | null;
  readonly adminHost: string;
  readonly adminPort: number | null;
  readonly unknownDevices: 'accept' | 'reject';
  readonly idleTimeoutMs: number;
  readonly maxFrameBytes: number;
  readonly maxConnections: number;
  readonly connectionsPerAddress: number;
  /** Open connections from one source address per listener (0 or absent = unlimited). */
  readonly maxConnectionsPerAddress?: number;
  readonly maxInFlightPerConnection: number;
  readonly batchRecords: number;
  readonly batchDelayMs: number;
  readonly batchEagerRecords?: number;
  readonly minBatchIntervalMs?: number;
  readonly maxQueuedRecords: number;
  readonly commitTimeoutMs: number;
  /** A graceful `close()` gives up commits still failing after this long (default: each batch's own commit timeout). */
  readonly shutdownTimeoutMs?: number;
  readonly registryRefreshMs: number;
}

export interface Gateway {
  readonly ports: { teltonikaTcp?: number; teltonikaUdp?: number; wialonTcp?: number; wialonUdp?: number; mqtt?: number; mqttTls?: number; mqttWs?: number; admin?: number };
  readonly context: GatewayContext;
  readonly metrics: Metrics;
  close(): Promise<void>;
}

/**
 * Store must be open and migrated (the caller owns it). `derive` (the rating engine's presence) is
 * committed with every batch; `sink` (the fleet tracker) sees every committed batch. `metrics`: the
 * process's registry when the caller puts metrics of its own on it too (app/ adds billing's).
 * `adminKeys`: the API keys the admin port's `/commands` checks (admin scope); null: it refuses them all.
 */
export async function startGateway(
  store: Store,
  options: GatewayOptions,
  log: Logger,
  sink: RecordSink | null = null,
  derive: BatchDeriver | null = null,
  metrics: Metrics = createMetrics(),
  adminKeys: AdminKeys | null = null,
): Promise<Gateway> {
  const registry = new DeviceRegistry(store, {
    unknownDevicePolicy: options.unknownDevices,
    refreshMs: options.registryRefreshMs,
    discoveredWriteIntervalMs: 10 * 60_000,
    gate: new AccountAccess(store),
  }, Date.now, log);
  await registry.start();
  const pipeline = new Pipeline(store, derive, sink, metrics, {
    batchRecords: options.batchRecords,
    batchDelayMs: options.batchDelayMs,
    ...(options.batchEagerRecords !== undefined ? { batchEagerRecords: options.batchEagerRecords } : {}),
    ...(options.minBatchIntervalMs !== undefined ? { minBatchIntervalMs: options.minBatchIntervalMs } : {}),
    maxQueuedRecords: options.maxQueuedRecords,
    commitTimeoutMs: options.commitTimeoutMs,
  }, log);
  const journal = new CommandJournal(store, log);
  const commands = new CommandRouter((o) => {
    log.info({ device: o.deviceId, command: o.command, outcome: o.outcome, response: o.response, detail: o.detail || undefined }, `command ${o.outcome}`);
    void journal.record(o);
  });
  const decodeErrorLog = new DecodeErrorLog(log);
  const errorLogFlush = setInterval(() => decodeErrorLog.flush(), 10_000);
  errorLogFlush.unref();
  const context: GatewayContext = { registry, pipeline, metrics, commands, limits: { maxFrameSize: options.maxFrameBytes }, log, decodeErrorLog };

  const tcp: TcpListener[] = [];
  const udp: UdpListener[] = [];
  const ports: Gateway['ports'] = {};
  const tcpOptions = (port: number) => ({
    host: options.host,
    port,
    maxConnections: options.maxConnections,
    idleTimeoutMs: options.idleTimeoutMs,
    connectionsPerAddressPerSecond: options.connectionsPerAddress,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 0,
    maxInFlightPerConnection: options.maxInFlightPerConnection,
  });
  const deps = { pipeline, metrics, log };
  let admin: AdminServer | null = null;
  let mqtt: MqttService | null = null;
  try {
    if (options.teltonikaTcp !== null) {
      const l = await startTcpListener('teltonika', tcpOptions(options.teltonikaTcp), teltonikaTcpHandler(context), deps);
      tcp.push(l);
      ports.teltonikaTcp = l.port;
    }
    if (options.wialonTcp !== null) {
      const l = await startTcpListener('wialon-ips', tcpOptions(options.wialonTcp), wialonTcpHandler(context), deps);
      tcp.push(l);
      ports.wialonTcp = l.port;
    }
    if (options.teltonikaUdp !== null) {
      const l = await startUdpListener(
        'teltonika',
        { host: options.host, port: options.teltonikaUdp },
        (bytes, at) => {
          const r = decodeTeltonikaUdp(bytes, at);
          return r.ok ? { ok: true, deviceId: r.imei, records: r.records, reply: r.reply } : r;
        },
        () => null, // teltonika.md §8: no negative answer exists for UDP; silence makes the device retry
        context,
      );
      udp.push(l);
      ports.teltonikaUdp = l.port;
    }
    if (options.wialonUdp !== null) {
      const l = await startUdpListener(
        'wialon-ips',
        { host: options.host, port: options.wialonUdp },
        (bytes, at) => {
          const r = decodeWialonUdp(bytes, at);
          return r.ok ? { ok: true, deviceId: r.deviceId, records: r.records, reply: r.reply, ...(r.warnings ? { warnings: r.warnings } : {}) } : r;
        },
        () => null, // wialon-ips.md §3: UDP has no login, hence no #AL#0; a refused datagram is dropped unanswered
        context,
      );
      udp.push(l);
      ports.wialonUdp = l.port;
    }
    mqtt = await startMqtt(context, options);
    Object.assign(ports, mqtt?.ports);
    if (options.adminPort !== null) {
      admin = await startAdminServer(options.adminHost, options.adminPort, metrics.registry, async () => {
        const ping = await store.ping();
        return ping.ok ? { ok: true, detail: `storage ${store.backend} reachable` } : { ok: false, detail: ping.error };
      }, commands, journal, adminKeys);
      ports.admin = admin.port;
    }
  } catch (err) {
    for (const l of tcp) {
      l.destroyConnections();
      await l.stopAccepting();
    }
    for (const l of udp) await l.close();
    await mqtt?.close();
    await registry.stop();
    clearInterval(errorLogFlush);
    throw err;
  }

  return {
    ports,
    context,
    metrics,
    async close() {
      const stopped = tcp.map((l) => l.stopAccepting());
      for (const l of udp) await l.close();
      await mqtt?.quiesce();
      // Commit what was received; commitThenReply (and MQTT's PUBACK step) write the acks as each batch lands.
      await pipeline.close(options.shutdownTimeoutMs);
      await new Promise((r) => setTimeout(r, 50)); // let the last acks leave the socket buffers
      for (const l of tcp) l.destroyConnections();
      await mqtt?.close();
      await Promise.all(stopped);
      await registry.stop();
      await admin?.close();
      clearInterval(errorLogFlush);
      decodeErrorLog.flush();
      log.info('gateway stopped');
    },
  };
}
