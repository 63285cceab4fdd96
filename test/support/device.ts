/** A scripted device for tests: real TCP/UDP sockets, waits for exact reply bytes. */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';

export class TcpDevice {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<TcpDevice> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new TcpDevice(s)));
      s.once('error', reject);
    });
  }

  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }

  /** Reads exactly n bytes, or rejects after timeoutMs (or on close). */
  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffer.length < n) {
      if (this.closed) throw new Error(`connection closed with ${this.buffer.length}/${n} bytes read`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.buffer.length}/${n} bytes read`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return Buffer.from(out);
  }

  /** Reads one line ending in \r\n (Wialon IPS answers), without the terminator. */
  async readLine(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buffer.indexOf('\r\n');
      if (i >= 0) {
        const line = this.buffer.subarray(0, i).toString('utf8');
        this.buffer = this.buffer.subarray(i + 2);
        return line;
      }
      if (this.closed) throw new Error(`connection closed; buffered: ${JSON.stringify(this.buffer.toString())}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a line; buffered: ${JSON.stringify(this.buffer.toString())}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves true once the server has closed the connection (false on timeout). */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.closed;
  }

  get pending(): number {
    return this.buffer.length;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Sends one datagram and waits for one answer (null on timeout). */
export async function udpExchange(port: number, bytes: Uint8Array, timeoutMs = 3000): Promise<Buffer | null> {
  const socket = createSocket('udp4');
  try {
    return await new Promise<Buffer | null>((resolve) => {
      const t = setTimeout(() => resolve(null), timeoutMs);
      socket.on('message', (msg) => {
        clearTimeout(t);
        resolve(msg);
      });
      socket.send(bytes, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/** Polls `fn` until it returns a value accepted by `ok`, or throws with the last value. */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await fn();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}
