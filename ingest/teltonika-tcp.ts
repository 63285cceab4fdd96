/**
 * Teltonika over TCP (teltonika.md §2): IMEI handshake answered 01/00, then AVL packets acked
 * with their record count once committed; pings (0xFF) need no answer; Codec 12 responses are
 * handed to the command registry. A framing error closes the connection after the prescribed
 * reply — the device reconnects and resends.
 */
import { createTcpFramer, decodeTcpPacket, imeiReply } from '../protocols/teltonika/index.ts';
import type { HandlerFactory } from './tcp-server.ts';
import type { GatewayContext } from './context.ts';

export function teltonikaTcpHandler(ctx: GatewayContext): HandlerFactory {
  const labels = { protocol: 'teltonika', transport: 'tcp' } as const;
  return (conn, remote, log) => {
    const framer = createTcpFramer({ maxFrameSize: ctx.limits.maxFrameSize });
    const errors = ctx.decodeErrorLog.session(log);
    let imei: string | null = null;
    conn.onClose(() => errors.close({ device: imei }));
    return {
      onData(chunk, receivedAt) {
        for (const ev of framer.push(chunk)) {
          if (conn.isClosed) return;
          if (!ev.ok) {
            ctx.metrics.decodeErrors.inc({ ...labels, code: ev.error.code });
            errors.report({ device: imei }, ev.error.code, ev.error.message, chunk);
            if (ev.fatal) {
              conn.reply(ev.reply, true);
              return;
            }
            conn.reply(ev.reply);
            continue;
          }
          const frame = ev.frame;
          if (frame.kind === 'imei') {
            if (imei !== null) {
              log.warn({ device: imei, again: frame.imei }, 'second IMEI handshake on one connection; closing');
              conn.reply(null, true);
              return;
            }
            const decision = ctx.registry.authorize(frame.imei, 'teltonika', 'tcp', null, remote);
            ctx.metrics.logins.inc({ protocol: 'teltonika', outcome: decision });
            if (decision !== 'accepted') {
              log.info({ device: frame.imei, decision }, 'login refused');
              conn.reply(imeiReply(false), true);
              return;
            }
            imei = frame.imei;
            // Detach only this session's route: a device that reconnected has a newer one.
            conn.onClose(ctx.commands.attach(imei, 'teltonika', (bytes) => conn.reply(bytes)));
            log.debug({ device: imei }, 'login accepted');
            conn.reply(imeiReply(true));
            continue;
          }
          if (frame.kind === 'ping') continue;
          if (imei === null) {
            // The framer only yields packets after a handshake; this is a guard, not a path.
            conn.reply(null, true);
            return;
          }
          const revoked = ctx.registry.revoked(imei);
          if (revoked !== null) {
            // No ack: what this packet carried is refused like a login would be.
            log.info({ device: imei, reason: revoked }, 'session ended: device no longer allowed');
            ctx.metrics.logins.inc({ protocol: 'teltonika', outcome: 'revoked' });
            conn.reply(null, true);
            return;
          }
          ctx.metrics.frames.inc(labels);
          const result = decodeTcpPacket(frame.bytes, { deviceId: imei, receivedAt });
          if (!result.ok) {
            ctx.metrics.decodeErrors.inc({ ...labels, code: result.error.code });
            errors.report({ device: imei }, result.error.code, result.error.message, frame.bytes);
            conn.reply(result.reply);
            continue;
          }
          if (result.kind === 'command-response') {
            ctx.commands.response(imei, 'teltonika', result.responses, receivedAt);
            continue;
          }
          ctx.metrics.records.inc(labels, result.records.length);
          conn.commitThenReply(
            { deviceId: imei, protocol: 'teltonika', transport: 'tcp', receivedAt, frame: frame.bytes, records: result.records },
            result.reply,
          );
        }
      },
    };
  };
}
