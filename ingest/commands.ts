/**
 * Server → device commands through one interface, whatever the transport: a session that can
 * carry commands attaches a channel for its device (Teltonika TCP: Codec 12 bytes on the socket;
 * MQTT: a message on the device's command topic); `send` hands the command to that channel and
 * resolves with the device's response (or rejects on timeout / device not connected).
 *
 * Every command has an id. Channels that can carry it (MQTT) let the device answer by id; the
 * others (Codec 12 has no id) are answered in order.
 */
import { encodeCommand } from '../protocols/teltonika/index.ts';

export interface CommandResult {
  readonly deviceId: string;
  readonly command: string;
  readonly response: string;
  readonly sentAt: number;
  readonly answeredAt: number;
}

/** How a command ended (or a response nobody asked for), for the command journal and logs. */
export interface CommandOutcome {
  readonly id: string;
  readonly deviceId: string;
  readonly protocol: string;
  readonly command: string;
  readonly outcome: 'answered' | 'timeout' | 'disconnected' | 'not-delivered' | 'not-connected' | 'unsolicited';
  readonly response: string;
  /** Why it failed, in words ('' when answered). */
  readonly detail: string;
  readonly sentAt: number;
  readonly at: number;
}

/** A command on its way to a device. */
export interface OutgoingCommand {
  readonly id: string;
  readonly text: string;
}

/** Delivers one command; returns why it could not (nothing was sent), or null once sent. */
export type CommandChannel = (command: OutgoingCommand) => string | null;

interface Waiting {
  readonly id: string;
  readonly command: string;
  readonly sentAt: number;
  resolve(r: CommandResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

interface Route {
  readonly protocol: string;
  readonly channel: CommandChannel;
  /** Commands awaiting a response, oldest first. */
  readonly waiting: Waiting[];
}

export const COMMAND_ERROR_CODES = [
  'FM_ERR_DEVICE_NOT_CONNECTED',
  'FM_ERR_COMMAND_TIMEOUT',
  'FM_ERR_DEVICE_DISCONNECTED',
  'FM_ERR_UNSUPPORTED',
  'FM_ERR_COMMAND_NOT_DELIVERED',
] as const;
export type CommandErrorCode = (typeof COMMAND_ERROR_CODES)[number];

export class CommandError extends Error {
  constructor(
    readonly code: CommandErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class CommandRouter {
  private readonly routes = new Map<string, Route>();
  private seq = 0;
  private readonly idBase = Date.now().toString(36);

  /** `onOutcome` hears how every command ended, and every response nobody waited for. */
  constructor(
    private readonly onOutcome: (o: CommandOutcome) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  private report(o: CommandOutcome): void {
    try {
      this.onOutcome(o);
    } catch {
      /* an observer's failure must not break delivery */
    }
  }

  /** Teltonika TCP: commands are Codec 12 packets written with `send`. */
  attach(deviceId: string, protocol: string, send: (bytes: Uint8Array) => void): () => void {
    return this.attachChannel(deviceId, protocol, (command) => {
      send(encodeCommand(command.text));
      return null;
    });
  }

  /**
   * Any transport: the newest session of a device wins. Returns a detach function that removes
   * this channel only (not a newer one that replaced it when the device reconnected).
   */
  attachChannel(deviceId: string, protocol: string, channel: CommandChannel): () => void {
    this.detach(deviceId, protocol);
    const route: Route = { protocol, channel, waiting: [] };
    this.routes.set(deviceId, route);
    return () => {
      if (this.routes.get(deviceId) === route) this.drop(deviceId, route);
    };
  }

  detach(deviceId: string, protocol: string): void {
    const route = this.routes.get(deviceId);
    if (!route || route.protocol !== protocol) return;
    this.drop(deviceId, route);
  }

  private drop(deviceId: string, route: Route): void {
    this.routes.delete(deviceId);
    for (const w of route.waiting) {
      clearTimeout(w.timer);
      const detail = `device ${deviceId} disconnected before answering`;
      this.report({ id: w.id, deviceId, protocol: route.protocol, command: w.command, outcome: 'disconnected', response: '', detail, sentAt: w.sentAt, at: this.now() });
      w.reject(new CommandError('FM_ERR_DEVICE_DISCONNECTED', detail));
    }
  }

  isConnected(deviceId: string): boolean {
    return this.routes.has(deviceId);
  }

  /** The transport a connected device's commands go over ('teltonika', 'mqtt'), or null. */
  protocolOf(deviceId: string): string | null {
    return this.routes.get(deviceId)?.protocol ?? null;
  }

  send(deviceId: string, command: string, timeoutMs = 30_000): Promise<CommandResult> {
    const route = this.routes.get(deviceId);
    const id = `${this.idBase}-${++this.seq}`;
    if (!route) {
      const detail = `device ${deviceId} is not connected to this gateway`;
      this.report({ id, deviceId, protocol: '', command, outcome: 'not-connected', response: '', detail, sentAt: this.now(), at: this.now() });
      return Promise.reject(new CommandError('FM_ERR_DEVICE_NOT_CONNECTED', detail));
    }
    return new Promise<CommandResult>((resolve, reject) => {
      const entry: Waiting = {
        id,
        command,
        sentAt: this.now(),
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = route.waiting.indexOf(entry);
          if (i >= 0) route.waiting.splice(i, 1);
          const detail = `device ${deviceId} did not answer "${command}" within ${timeoutMs} ms`;
          this.report({ id, deviceId, protocol: route.protocol, command, outcome: 'timeout', response: '', detail, sentAt: entry.sentAt, at: this.now() });
          reject(new CommandError('FM_ERR_COMMAND_TIMEOUT', detail));
        }, timeoutMs),
      };
      route.waiting.push(entry);
      const problem = route.channel({ id, text: command });
      if (problem !== null) {
        route.waiting.splice(route.waiting.indexOf(entry), 1);
        clearTimeout(entry.timer);
        const detail = `command for device ${deviceId} not sent: ${problem}`;
        this.report({ id, deviceId, protocol: route.protocol, command, outcome: 'not-delivered', response: '', detail, sentAt: entry.sentAt, at: this.now() });
        reject(new CommandError('FM_ERR_COMMAND_NOT_DELIVERED', detail));
      }
    });
  }

  /**
   * A device answered. With an `id` the answer goes to that command; without one, responses are
   * matched to commands in order (Codec 12). An answer nobody waits for is still reported.
   */
  response(deviceId: string, protocol: string, responses: readonly string[], at: number, id?: string): void {
    const route = this.routes.get(deviceId);
    const waiting = route && route.protocol === protocol ? route.waiting : [];
    for (const response of responses) {
      const i = id === undefined ? (waiting.length > 0 ? 0 : -1) : waiting.findIndex((w) => w.id === id);
      const w = i >= 0 ? waiting.splice(i, 1)[0] : undefined;
      const result: CommandResult = { deviceId, command: w?.command ?? '', response, sentAt: w?.sentAt ?? at, answeredAt: at };
      this.report({ id: w?.id ?? id ?? `${this.idBase}-${++this.seq}`, deviceId, protocol, command: result.command, outcome: w ? 'answered' : 'unsolicited', response, detail: '', sentAt: result.sentAt, at });
      if (w) {
        clearTimeout(w.timer);
        w.resolve(result);
      }
    }
  }
}
