/**
 * Trackers over UDP (teltonika.md §8, wialon-ips.md §3): no handshake; each datagram carries the
 * device id and is answered by one datagram. One packet in flight at a time, resent on timeout;
 * "reconnecting" opens a new socket (a new source port), which also sheds late answers.
 *
 * Teltonika answers echo the packet ids, so a late answer is recognised exactly. Wialon answers
 * carry no id: answers still owed to earlier transmissions of an acknowledged packet are
 * absorbed first, so a late duplicate can cost a resend but never acknowledges the wrong packet.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { DeviceEnv, Packet } from './device.ts';
import { SimDevice } from './device.ts';
import type { DeviceKind } from './options.ts';
import type { RecordSource } from './record-source.ts';
import { buildTeltonikaUdp } from './teltonika-packets.ts';
import { checkWialonAnswer } from './wialon-answer.ts';
import { buildWialon } from './wialon-packets.ts';

abstract class UdpDevice extends SimDevice {
  private socket: Socket | null = null;
  protected readonly idBytes: Buffer;

  constructor(kind: DeviceKind, id: string, source: RecordSource, env: DeviceEnv) {
    super(kind, id, source, env, 1);
    this.idBytes = Buffer.from(id, 'latin1');
  }

  protected abstract port(): number;
  protected abstract onDatagram(msg: Buffer, now: number): void;
  protected abstract resetMatching(): void;

  protected open(): void {
    const socket = createSocket('udp4');
    this.socket = socket;
    this.resetMatching();
    socket.on('message', (msg) => {
      if (this.socket !== socket) return;
      const now = performance.now();
      this.onDatagram(msg, now);
      this.env.scheduler.poll(now);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.socket === socket) this.env.stats.error('connect-failed', `device ${this.id}: UDP ${err.code ?? err.message}`);
    });
    socket.connect(this.port(), this.opts.host, () => {
      if (this.socket !== socket) return;
      this.opened();
      this.loggedIn(performance.now());
    });
  }

  protected close(): void {
    const s = this.socket;
    this.socket = null;
    s?.close();
  }

  protected transmit(p: Packet): void {
    this.socket?.send(p.bytes);
  }
}

export class TeltonikaUdpDevice extends UdpDevice {
  constructor(id: string, source: RecordSource, env: DeviceEnv) {
    super('teltonika-udp', id, source, env);
  }

  protected port(): number {
    return this.opts.teltonikaUdpPort ?? this.opts.teltonikaPort;
  }

  protected resetMatching(): void {}

  protected encode(firstSeq: number, n: number, index: number): Buffer {
    return buildTeltonikaUdp(this.opts.codec, n, this.source, firstSeq, this.idBytes, index & 0xffff, index & 0xff);
  }

  protected onDatagram(msg: Buffer, now: number): void {
    // §8: 0005, packet id, 01, AVL packet id, accepted count.
    if (msg.length !== 7 || msg.readUInt16BE(0) !== 5) {
      this.env.stats.error('bad-answer', `device ${this.id}: UDP ack ${msg.toString('hex')}`);
      return;
    }
    const p = this.inflight[0];
    if (!p || msg.readUInt16BE(2) !== (p.index & 0xffff) || msg[5] !== (p.index & 0xff)) return; // late answer to an earlier packet
    if (msg[6] === p.records) this.acked(p, now);
    else this.rejected(p, now, `UDP ack count ${msg[6]} for ${p.records} records`);
  }
}

export class WialonUdpDevice extends UdpDevice {
  /** Answers still due for extra transmissions (on this socket) of packets already acknowledged. */
  private owed = 0;
  private current: Packet | null = null;
  private currentSends = 0;

  constructor(id: string, source: RecordSource, env: DeviceEnv) {
    super('wialon-udp', id, source, env);
  }

  protected port(): number {
    return this.opts.wialonUdpPort ?? this.opts.wialonPort;
  }

  protected resetMatching(): void {
    this.owed = 0;
    this.current = null;
    this.currentSends = 0;
  }

  protected override transmit(p: Packet): void {
    if (p !== this.current) {
      this.current = p;
      this.currentSends = 0;
    }
    this.currentSends++;
    super.transmit(p);
  }

  protected encode(firstSeq: number, n: number): Buffer {
    return buildWialon(n, this.source, firstSeq, 'udp', this.idBytes);
  }

  protected onDatagram(msg: Buffer, now: number): void {
    let end = msg.length;
    if (msg[end - 1] === 0x0a) end--;
    if (msg[end - 1] === 0x0d) end--;
    const line = msg.toString('latin1', 0, end);
    if (this.owed > 0) {
      this.owed--;
      return;
    }
    const p = this.inflight[0];
    if (!p) {
      this.env.stats.error('unexpected-bytes', `device ${this.id}: ${JSON.stringify(line)} with nothing in flight`);
      return;
    }
    const problem = checkWialonAnswer(line, p.records);
    if (problem !== null) return this.rejected(p, now, problem);
    if (p === this.current) this.owed += this.currentSends - 1;
    this.acked(p, now);
  }
}
