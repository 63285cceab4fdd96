/**
 * A TCP listener for one device protocol: connection limits (in all and per source address),
 * per-address rate limit, idle timeout, socket errors contained per connection. What the bytes mean is the protocol glue's.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ProtocolName } from '../protocols/record.ts';
import { DeviceConnection } from './connection.ts';
import type { Metrics } from './metrics.ts';
import type { Pipeline } from './pipeline.ts';
import { AddressConnectionCap, ConnectionRateLimiter } from './rate-limit.ts';

export interface TcpListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly connectionsPerAddressPerSecond: number;
  /** Open connections from one source address (0 = unlimited). */
  readonly maxConnectionsPerAddress: number;
  readonly maxInFlightPerConnection: number;
}

/** What protocol glue provides per connection. */
export interface ProtocolHandler {
  /** Handles one chunk synchronously: frames are decoded, submitted and replied through `conn`. */
  onData(chunk: Buffer, receivedAt: number): void;
}

export type HandlerFactory = (conn: DeviceConnection, remote: string, log: Logger) => ProtocolHandler;

export interface TcpListener {
  readonly protocol: ProtocolName;
  readonly port: number;
  readonly connections: number;
  /** Stops accepting; existing connections stay until `destroyConnections`. */
  stopAccepting(): Promise<void>;
  destroyConnections(): void;
}

export async function startTcpListener(
  protocol: ProtocolName,
  options: TcpListenerOptions,
  factory: HandlerFactory,
  deps: { pipeline: Pipeline; metrics: Metrics; log: Logger },
): Promise<TcpListener> {
  const { pipeline, metrics, log } = deps;
  const labels = { protocol, transport: 'tcp' } as const;
  const limiter = new ConnectionRateLimiter(options.connectionsPerAddressPerSecond);
  const perAddress = new AddressConnectionCap(options.maxConnectionsPerAddress);
  const sockets = new Set<Socket>();

  const server: Server = createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
    const address = socket.remoteAddress ?? '';
    const remote = `${address || '?'}:${socket.remotePort ?? 0}`;
    if (sockets.size >= options.maxConnections) {
      metrics.connectionsRefused.inc({ ...labels, reason: 'max-connections' });
      socket.destroy();
      return;
    }
    if (!limiter.allow(address)) {
      metrics.connectionsRefused.inc({ ...labels, reason: 'rate-limit' });
      socket.destroy();
      return;
    }
    if (!perAddress.acquire(address)) {
      metrics.connectionsRefused.inc({ ...labels, reason: 'per-address' });
      socket.destroy();
      return;
    }
    sockets.add(socket);
    metrics.connections.inc(labels);
    metrics.connectionsTotal.inc(labels);
    const connLog = log.child({ protocol, remote });
    connLog.debug('connection opened');
    const conn = new DeviceConnection(socket, pipeline, { maxInFlight: options.maxInFlightPerConnection }, (d) => metrics.pausedSockets.inc(d));
    const handler = factory(conn, remote, connLog);
    socket.setTimeout(options.idleTimeoutMs, () => {
      connLog.info('idle timeout, closing');
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      metrics.bytes.inc(labels, chunk.length);
      try {
        handler.onData(chunk, Date.now());
      } catch (err) {
        // A bug in glue code must cost one connection, never the process.
        connLog.error({ err }, 'connection handler failed; closing connection');
        socket.destroy();
        return;
      }
      conn.afterChunk();
    });
    socket.on('error', (err) => connLog.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => {
      sockets.delete(socket);
      perAddress.release(address);
      metrics.connections.dec(labels);
      connLog.debug('connection closed');
    });
  });
  server.maxConnections = options.maxConnections + 64; // hard stop; the soft limit above counts precisely
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err, protocol }, 'listener error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info({ protocol, transport: 'tcp', host: options.host, port }, 'listening');

  return {
    protocol,
    port,
    get connections() {
      return sockets.size;
    },
    stopAccepting: () => new Promise<void>((resolve) => server.close(() => resolve())),
    destroyConnections() {
      for (const s of sockets) s.destroy();
    },
  };
}
