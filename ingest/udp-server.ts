/**
 * UDP listeners (Teltonika and Wialon IPS UDP forms): each datagram is decoded on its own and
 * answered only after its records are committed. UDP cannot be paused, so when the pipeline is
 * full a datagram is dropped unanswered (counted): the device resends it, nothing is lost.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { ProtocolError } from '../protocols/common/errors.ts';
import { hexSample } from './error-log.ts';
import type { ProtocolName, TelemetryRecord } from '../protocols/record.ts';
import type { GatewayContext } from './context.ts';

export type DatagramResult =
  | { ok: true; deviceId: string; records: readonly TelemetryRecord[]; reply: Uint8Array | null; password?: string | null; warnings?: readonly ProtocolError[] }
  | { ok: false; error: ProtocolError; reply: Uint8Array | null };

export interface UdpListenerOptions {
  readonly host: string;
  readonly port: number;
}

export interface UdpListener {
  readonly protocol: ProtocolName;
  readonly port: number;
  close(): Promise<void>;
}

export async function startUdpListener(
  protocol: ProtocolName,
  options: UdpListenerOptions,
  decode: (bytes: Uint8Array, receivedAt: number) => DatagramResult,
  /** The negative answer for a device the registry refuses (null: stay silent). */
  refusal: (result: Extract<DatagramResult, { ok: true }>) => Uint8Array | null,
  ctx: GatewayContext,
): Promise<UdpListener> {
  const labels = { protocol, transport: 'udp' } as const;
  const socket: Socket = createSocket({ type: options.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 8 * 1024 * 1024 });
  const send = (bytes: Uint8Array | null, rinfo: RemoteInfo) => {
    if (bytes && bytes.length > 0) socket.send(bytes, rinfo.port, rinfo.address);
  };

  socket.on('message', (msg, rinfo) => {
    const receivedAt = Date.now();
    ctx.metrics.bytes.inc(labels, msg.length);
    if (msg.length > ctx.limits.maxFrameSize) {
      ctx.metrics.decodeErrors.inc({ ...labels, code: 'FM_ERR_FRAME_TOO_LARGE' });
      return;
    }
    let result: DatagramResult;
    try {
      result = decode(msg, receivedAt);
    } catch (err) {
      ctx.log.error({ err, protocol, ...hexSample(msg, ctx.decodeErrorLog.options.hexBytes) }, 'UDP decoder threw');
      return;
    }
    ctx.metrics.frames.inc(labels);
    if (!result.ok) {
      ctx.metrics.decodeErrors.inc({ ...labels, code: result.error.code });
      ctx.decodeErrorLog.report(ctx.log, { protocol, transport: 'udp', remote: `${rinfo.address}:${rinfo.port}` }, result.error.code, result.error.message, msg);
      send(result.reply, rinfo);
      return;
    }
    for (const w of result.warnings ?? []) {
      if (w.code === 'FM_ERR_BODY_REFUSED') ctx.metrics.decodeErrors.inc({ ...labels, code: w.code });
      ctx.decodeErrorLog.report(ctx.log, { protocol, transport: 'udp', remote: `${rinfo.address}:${rinfo.port}`, device: result.deviceId }, w.code, w.message, msg);
    }
    const decision = ctx.registry.authorize(result.deviceId, protocol, 'udp', result.password ?? null, `${rinfo.address}:${rinfo.port}`);
    if (decision !== 'accepted') {
      ctx.metrics.logins.inc({ protocol, outcome: decision });
      send(refusal(result), rinfo);
      return;
    }
    if (result.records.length === 0) {
      send(result.reply, rinfo);
      return;
    }
    if (ctx.pipeline.full) {
      ctx.metrics.connectionsRefused.inc({ ...labels, reason: 'backpressure' });
      return;
    }
    ctx.metrics.records.inc(labels, result.records.length);
    const reply = result.reply;
    ctx.pipeline
      .submit({ deviceId: result.deviceId, protocol, transport: 'udp', receivedAt, frame: msg, records: result.records })
      .then(
        () => send(reply, rinfo),
        () => undefined, // not committed: no ack, the device resends
      );
  });
  socket.on('error', (err) => ctx.log.error({ err, protocol }, 'UDP socket error'));

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, options.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const port = socket.address().port;
  ctx.log.info({ protocol, transport: 'udp', host: options.host, port }, 'listening');
  return {
    protocol,
    port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
