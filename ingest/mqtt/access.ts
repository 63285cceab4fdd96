/**
 * Who may connect to the embedded broker and what they may subscribe to and receive.
 *
 * - CONNECT: client id = device id (one topic level: isDeviceId); the password is checked by the
 *   device registry like any other login (per-device password; unknown devices follow
 *   `--unknown-devices`). The username is not used (MQTT 3.1.1 needs one to send a password: send
 *   the device id). Return codes: 2 identifier rejected, 4 bad password, 5 not authorized.
 * - SUBSCRIBE: only `<prefix>/<ownId>/commands`, at QoS ≤ 1. Anything else is refused in the
 *   SUBACK (0x80) and counted; the connection stays up.
 * - Delivery: a client is only ever sent its own command topic (authorizeForward), whatever
 *   happened before.
 */
import type { AuthenticateError, Client, Subscription } from 'aedes';
import { commandTopic, isDeviceId } from '../../protocols/mqtt/index.ts';
import type { GatewayContext } from '../context.ts';
import type { MqttMetrics } from './metrics.ts';

/** MQTT 3.1.1 §3.2.2.3 CONNACK return codes used here. */
const IDENTIFIER_REJECTED = 2;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function refusal(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** The "address:port" a client connected from (set by the listener's GuardedConnection). */
export function remoteOf(client: Client): string {
  return (client.conn as { remote?: string }).remote ?? 'unknown';
}

export function createAccessControl(ctx: GatewayContext, mqttMetrics: MqttMetrics, prefix: string) {
  /** Clients whose CONNECT had an empty client id (aedes would invent one: we refuse them). */
  const anonymous = new WeakSet<Client>();
  return {
    preConnect(client: Client, packet: { clientId?: string }, callback: (error: Error | null, success: boolean) => void): void {
      if (!packet.clientId) anonymous.add(client);
      callback(null, true);
    },

    authenticate(client: Client, _username: string | undefined, password: Buffer | undefined, done: (error: AuthenticateError | null, success: boolean | null) => void): void {
      const id = client.id;
      if (anonymous.has(client) || !isDeviceId(id)) {
        ctx.metrics.logins.inc({ protocol: 'mqtt', outcome: 'rejected' });
        ctx.log.info({ clientId: id, remote: remoteOf(client) }, 'MQTT login refused: client id must be the device id (1..64 characters, no / + # or spaces)');
        return done(refusal(IDENTIFIER_REJECTED, 'client id must be the device id'), false);
      }
      const decision = ctx.registry.authorize(id, 'mqtt-json', 'mqtt', password ? password.toString('utf8') : null, remoteOf(client));
      ctx.metrics.logins.inc({ protocol: 'mqtt', outcome: decision });
      if (decision === 'accepted') return done(null, true);
      ctx.log.info({ device: id, decision, remote: remoteOf(client) }, 'MQTT login refused');
      done(decision === 'bad-password' ? refusal(BAD_USERNAME_OR_PASSWORD, 'bad password') : refusal(NOT_AUTHORIZED, 'device not allowed'), false);
    },

    authorizeSubscribe(client: Client, sub: Subscription, callback: (error: Error | null, subscription?: Subscription | null) => void): void {
      if (sub.topic === commandTopic(prefix, client.id)) {
        callback(null, sub.qos > 1 ? { ...sub, qos: 1 } : sub);
        return;
      }
      mqttMetrics.subscriptionsRefused.inc();
      ctx.log.info({ device: client.id, topic: sub.topic }, 'MQTT subscribe refused: a device may subscribe only to its own command topic');
      callback(null, null); // SUBACK 0x80 for this filter
    },

    authorizeForward<P extends { topic: string }>(client: Client, packet: P): P | null {
      return packet.topic === commandTopic(prefix, client.id) ? packet : null;
    },
  };
}
