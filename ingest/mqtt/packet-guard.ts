/**
 * A packet size limit in front of the embedded broker. aedes' parser (mqtt-packet) has no maximum
 * packet size: a client announcing a 256 MB remaining length would be buffered whole. The guard
 * reads each packet's fixed header as bytes pass (MQTT 3.1.1 §2.2: one type byte, then the
 * remaining length in 1–4 bytes of 7 bits) and cuts the connection as soon as a packet announces
 * more than the limit, before its body is buffered.
 *
 * `GuardedConnection` wraps a socket (TCP, TLS or a WebSocket stream) as the Duplex aedes reads;
 * backpressure passes through: when aedes stops reading, the socket is paused.
 */
import { Duplex } from 'node:stream';

/** Byte scanner: null while every packet fits, else why the stream must be cut. */
export class PacketSizeScanner {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private left = 0;

  constructor(readonly maxPacketBytes: number) {}

  scan(chunk: Uint8Array): string | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'type') {
        i++;
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.state === 'length') {
        const b = chunk[i++];
        this.length += (b & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if (b & 0x80) {
          // §2.2.3: at most four bytes.
          if (this.lengthBytes === 4) return 'malformed remaining length (more than 4 bytes)';
          continue;
        }
        if (this.length > this.maxPacketBytes) return `packet announces ${this.length} bytes, limit is ${this.maxPacketBytes}`;
        this.left = this.length;
        this.state = this.left === 0 ? 'type' : 'body';
      } else {
        const n = Math.min(this.left, chunk.length - i);
        i += n;
        this.left -= n;
        if (this.left === 0) this.state = 'type';
      }
    }
    return null;
  }
}

export class GuardedConnection extends Duplex {
  constructor(
    readonly socket: Duplex,
    /** "address:port" of the peer, for logs and the device registry. */
    readonly remote: string,
    scanner: PacketSizeScanner,
    onViolation: (reason: string) => void,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      const problem = scanner.scan(chunk);
      if (problem !== null) {
        onViolation(problem);
        this.destroy();
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.destroyed) return callback(new Error('connection closed'));
    if (this.socket.write(chunk)) callback();
    else this.socket.once('drain', () => callback());
  }

  /**
   * mqtt-packet corks the stream and writes a packet in pieces (a PUBACK is two writes): pass
   * them on corked, so the socket sends them with one writev instead of one syscall each.
   */
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    if (this.socket.destroyed) return callback(new Error('connection closed'));
    this.socket.cork();
    let ok = true;
    for (const { chunk } of chunks) ok = this.socket.write(chunk);
    this.socket.uncork();
    if (ok) callback();
    else this.socket.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}
