/**
 * Wialon IPS over TCP (wialon-ips.md §3): `#L#` login answered `#AL#…` per the registry's
 * decision, then data packets each answered once committed — in order, with any number in flight
 * (devices may pipeline). Malformed packets get the protocol's negative answer and the stream
 * goes on; only unrecoverable framing closes the connection.
 */
import { createTcpFramer, decodePacket, loginReply, type WialonSessionState } from '../protocols/wialon-ips/index.ts';
import type { GatewayContext } from './context.ts';
import type { HandlerFactory } from './tcp-server.ts';

export function wialonTcpHandler(ctx: GatewayContext): HandlerFactory {
  const labels = { protocol: 'wialon-ips', transport: 'tcp' } as const;
  return (conn, remote, log) => {
    const framer = createTcpFramer({ maxFrameSize: ctx.limits.maxFrameSize });
    const state: WialonSessionState = { deviceId: null, version: null };
    const errors = ctx.decodeErrorLog.session(log);
    conn.onClose(() => errors.close({ device: state.deviceId }));
    return {
      onData(chunk, receivedAt) {
        for (const ev of framer.push(chunk)) {
          if (conn.isClosed) return;
          if (!ev.ok) {
            ctx.metrics.decodeErrors.inc({ ...labels, code: ev.error.code });
            errors.report({ device: state.deviceId }, ev.error.code, ev.error.message, chunk);
            conn.reply(ev.reply, ev.fatal);
            if (ev.fatal) return;
            continue;
          }
          ctx.metrics.frames.inc(labels);
          const packet = ev.frame;
          const result = decodePacket(packet, state, receivedAt);
          if (!result.ok) {
            ctx.metrics.decodeErrors.inc({ ...labels, code: result.error.code });
            errors.report({ device: state.deviceId }, result.error.code, result.error.message, packet);
            // wialon-ips.md §12: data before a successful login → send nothing and close.
            const close = result.error.code === 'FM_ERR_NOT_LOGGED_IN';
            conn.reply(result.reply, close);
            if (close) return;
            continue;
          }
          if (result.type === 'L') {
            const { deviceId, password, version } = result.login;
            const decision = ctx.registry.authorize(deviceId, 'wialon-ips', 'tcp', password, remote);
            ctx.metrics.logins.inc({ protocol: 'wialon-ips', outcome: decision });
            if (decision !== 'accepted') {
              log.info({ device: deviceId, decision }, 'login refused');
              conn.reply(loginReply(version, decision === 'wrong-protocol' ? 'rejected' : decision), true);
              return;
            }
            state.deviceId = deviceId;
            state.version = version;
            conn.reply(loginReply(version, 'accepted'));
            continue;
          }
          const revoked = state.deviceId === null ? null : ctx.registry.revoked(state.deviceId);
          if (revoked !== null) {
            log.info({ device: state.deviceId, reason: revoked }, 'session ended: device no longer allowed');
            ctx.metrics.logins.inc({ protocol: 'wialon-ips', outcome: 'revoked' });
            conn.reply(null, true);
            return;
          }
          if ('warnings' in result && result.warnings) {
            // Refused black-box bodies are counted like decode errors (the answer #AB#n says only how
            // many were accepted); other warnings (dropped params) are logged only. Both rate-limited.
            for (const w of result.warnings) {
              if (w.code === 'FM_ERR_BODY_REFUSED') ctx.metrics.decodeErrors.inc({ ...labels, code: w.code });
              errors.report({ device: state.deviceId }, w.code, w.message, packet);
            }
          }
          const records = result.records;
          if (records.length === 0 || state.deviceId === null) {
            conn.reply(result.reply);
            continue;
          }
          ctx.metrics.records.inc(labels, records.length);
          conn.commitThenReply(
            { deviceId: state.deviceId, protocol: 'wialon-ips', transport: 'tcp', receivedAt, frame: packet, records },
            result.reply,
          );
        }
      },
    };
  };
}
