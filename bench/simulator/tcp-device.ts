/**
 * The TCP half shared by Teltonika and Wialon IPS devices: one socket per connection, answers
 * matched in order against a FIFO of transmissions (a resend owes one more answer, so a late
 * answer to an earlier transmission is recognised as a duplicate and never acks the next packet).
 */
import { connect, type Socket } from 'node:net';
import { SimDevice, type Packet } from './device.ts';

export abstract class TcpDevice extends SimDevice {
  private socket: Socket | null = null;
  /** One entry per transmission on this connection, in write order. */
  protected expected: Packet[] = [];
  /** More than one packet may be in flight: group writes (cork) when several go at once. */
  protected pipelined = false;

  protected abstract port(): number;
  /** The handshake (IMEI packet / `#L#` login), written once connected. */
  protected abstract hello(): Uint8Array;
  /** Bytes from the gateway on the current connection. */
  protected abstract onBytes(chunk: Buffer, now: number): void;
  /** Forget per-connection parse state. */
  protected abstract resetParser(): void;

  protected open(): void {
    const socket = connect({ host: this.opts.host, port: this.port(), noDelay: true });
    this.socket = socket;
    this.expected = [];
    this.resetParser();
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      this.opened();
      socket.write(this.hello());
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      const now = performance.now();
      this.onBytes(chunk, now);
      this.env.scheduler.poll(now);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.socket !== socket) return;
      if (!this.connected) this.env.stats.error('connect-failed', `device ${this.id}: ${err.code ?? err.message}`);
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.lost(performance.now(), this.connected ? 'connection closed' : null);
    });
  }

  protected close(graceful: boolean): void {
    const s = this.socket;
    this.socket = null;
    this.expected = [];
    if (!s) return;
    if (graceful) s.end();
    else s.destroy();
  }

  protected transmit(p: Packet): void {
    if (!this.socket) return; // between connections: loggedIn() resends everything in flight
    this.expected.push(p);
    this.socket.write(p.bytes);
  }

  protected override cork(): void {
    if (this.pipelined) this.socket?.cork();
  }

  protected override uncork(): void {
    if (this.pipelined) this.socket?.uncork();
  }

  /** The transmission the next answer belongs to (null: an answer nobody asked for). */
  protected nextExpected(what: string): Packet | null {
    const p = this.expected.shift();
    if (!p) this.env.stats.error('unexpected-bytes', `device ${this.id}: ${what} with nothing in flight`);
    return p ?? null;
  }
}
