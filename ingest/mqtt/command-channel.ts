/**
 * Commands to devices on the embedded broker. A connected device gets a channel in the
 * CommandRouter; a command is published (QoS 1) to `<prefix>/<deviceId>/commands` as
 *
 *   {"id": "lq3k2x-7", "command": "setdigout 1"}
 *
 * and the device answers on `<prefix>/<deviceId>/responses` with `{"id": "lq3k2x-7",
 * "response": "DOUT1:1"}`, or with plain text, which answers its oldest open command.
 */
import type { Aedes, Client } from 'aedes';
import { commandTopic } from '../../protocols/mqtt/index.ts';
import type { CommandChannel } from '../commands.ts';

export function mqttCommandChannel(broker: Aedes, client: Client, prefix: string, onError: (err: Error) => void): CommandChannel {
  const topic = commandTopic(prefix, client.id);
  return (command) => {
    if (client.closed) return 'the device disconnected';
    // aedes keeps a client's subscriptions on `client.subscriptions` (not in its typings).
    const subscriptions = (client as { subscriptions?: { [topic: string]: unknown } }).subscriptions;
    if (subscriptions && !Object.prototype.hasOwnProperty.call(subscriptions, topic)) return `the device is not subscribed to ${topic}`;
    broker.publish(
      { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify({ id: command.id, command: command.text })), qos: 1, retain: false, dup: false },
      (err) => err && onError(err),
    );
    return null;
  };
}

/** A response payload: `{"id", "response"}` JSON, else the whole payload as UTF-8 text. */
export function parseCommandResponse(payload: Uint8Array): { response: string; id: string | undefined } {
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  if (text.startsWith('{')) {
    try {
      const v = JSON.parse(text) as { id?: unknown; response?: unknown };
      if (typeof v.response === 'string') return { response: v.response, id: typeof v.id === 'string' ? v.id : undefined };
    } catch {
      // not JSON: plain text
    }
  }
  return { response: text, id: undefined };
}
