/**
 * The sockets in front of the embedded broker: MQTT over TCP, over TLS (cert/key files) and over
 * WebSocket (`ws`), each optional. Limits are applied before aedes sees a byte: connections in
 * total, new connections per second per address, idle timeout, packet size (packet-guard.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger } from 'pino';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Metrics } from '../metrics.ts';
import { AddressConnectionCap, ConnectionRateLimiter } from '../rate-limit.ts';
import { GuardedConnection, PacketSizeScanner } from './packet-guard.ts';
import type { MqttMetrics } from './metrics.ts';

export interface MqttListenerOptions {
  readonly host: string;
  readonly port: number | null;
  readonly tlsPort: number | null;
  readonly tlsCert: string;
  readonly tlsKey: string;
  readonly wsPort: number | null;
  readonly maxConnections: number;
  readonly connectionsPerAddressPerSecond: number;
  /** Open connections from one source address, over all MQTT listeners (0 = unlimited). */
  readonly maxConnectionsPerAddress: number;
  readonly idleTimeoutMs: number;
  readonly maxPacketBytes: number;
}

export interface MqttListeners {
  readonly ports: { mqtt?: number; mqttTls?: number; mqttWs?: number };
  readonly connections: number;
  stopAccepting(): Promise<void>;
  destroyConnections(): void;
}

const LABELS = { protocol: 'mqtt', transport: 'mqtt' } as const;

export async function startMqttListeners(
  options: MqttListenerOptions,
  accept: (conn: GuardedConnection) => void,
  deps: { metrics: Metrics; mqttMetrics: MqttMetrics; log: Logger },
): Promise<MqttListeners> {
  const { metrics, mqttMetrics, log } = deps;
  const limiter = new ConnectionRateLimiter(options.connectionsPerAddressPerSecond);
  const perAddress = new AddressConnectionCap(options.maxConnectionsPerAddress);
  const open = new Set<GuardedConnection>();
  const servers: (NetServer | HttpServer)[] = [];
  const ports: MqttListeners['ports'] = {};

  /** Admits one connection (any listener) or refuses it by a limit. */
  const admit = (stream: Duplex, socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const remote = `${address}:${socket.remotePort ?? 0}`;
    const refuse = (reason: string) => {
      metrics.connectionsRefused.inc({ ...LABELS, reason });
      stream.destroy();
    };
    if (open.size >= options.maxConnections) return refuse('max-connections');
    if (!limiter.allow(address)) return refuse('rate-limit');
    if (!perAddress.acquire(address)) return refuse('per-address');
    socket.setTimeout(options.idleTimeoutMs, () => {
      log.debug({ remote }, 'MQTT connection idle, closing');
      socket.destroy();
    });
    const conn = new GuardedConnection(stream, remote, new PacketSizeScanner(options.maxPacketBytes), (reason) => {
      mqttMetrics.oversized.inc();
      log.warn({ remote }, `MQTT connection closed: ${reason}`);
    });
    conn.on('error', (err) => log.debug({ remote, err: err.message }, 'MQTT socket error'));
    open.add(conn);
    conn.once('close', () => {
      open.delete(conn);
      perAddress.release(address);
    });
    accept(conn);
  };

  const listen = (server: NetServer | HttpServer, port: number, kind: string) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.host, port, backlog: 4096 }, () => {
        server.off('error', reject);
        server.on('error', (err) => log.error({ err, kind }, 'MQTT listener error'));
        servers.push(server);
        const address = server.address();
        const bound = typeof address === 'object' && address ? address.port : port;
        log.info({ protocol: 'mqtt', transport: kind, host: options.host, port: bound }, 'listening');
        resolve(bound);
      });
    });

  const stopAccepting = () => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined);
  try {
    if (options.port !== null) {
      const server = createNetServer({ noDelay: true }, (socket) => {
        socket.on('error', () => undefined);
        admit(socket, socket);
      });
      ports.mqtt = await listen(server, options.port, 'tcp');
    }
    if (options.tlsPort !== null) {
      if (!options.tlsCert || !options.tlsKey) throw new Error('MQTT over TLS needs --mqtt-tls-cert and --mqtt-tls-key');
      const server = createTlsServer({ cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) }, (socket) => {
        socket.on('error', () => undefined);
        admit(socket, socket);
      });
      server.on('tlsClientError', (err) => log.debug({ err: err.message }, 'MQTT TLS handshake failed'));
      ports.mqttTls = await listen(server, options.tlsPort, 'tls');
    }
    if (options.wsPort !== null) {
      const http = createHttpServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' });
        res.end('MQTT over WebSocket: upgrade required\n');
      });
      // maxPayload bounds one WebSocket message; the guard bounds MQTT packets inside them.
      const wss = new WebSocketServer({ server: http, maxPayload: options.maxPacketBytes + 1024 });
      wss.on('connection', (ws, req) => admit(createWebSocketStream(ws), req.socket));
      wss.on('error', (err) => log.error({ err }, 'MQTT WebSocket server error'));
      ports.mqttWs = await listen(http, options.wsPort, 'ws');
    }
  } catch (err) {
    await stopAccepting();
    throw err;
  }

  return {
    ports,
    get connections() {
      return open.size;
    },
    stopAccepting,
    destroyConnections() {
      for (const c of open) c.destroy();
    },
  };
}
