/**
 * A minimal acknowledging server for measuring the simulator itself: it frames Teltonika TCP
 * packets and Wialon IPS lines just enough to answer them (01 / record count; #AL#1, #AD#1,
 * #AB#n) and stores nothing. Run against it, the simulator's own ceiling shows (connections,
 * records/s, its CPU), apart from any gateway's. Never use it to judge a gateway.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface AckServer {
  readonly teltonikaPort: number;
  readonly wialonPort: number;
  /** Records acknowledged so far. */
  readonly records: number;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 8192 }, () => resolve((server.address() as { port: number }).port));
  });
}

export async function startAckServer(): Promise<AckServer> {
  let records = 0;
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };

  const teltonika = createServer({ noDelay: true }, (s) => {
    track(s);
    let buf: Buffer = Buffer.alloc(0);
    let loggedIn = false;
    s.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let o = 0;
      const acks: number[] = [];
      for (;;) {
        if (!loggedIn) {
          if (buf.length - o < 2) break;
          const len = buf.readUInt16BE(o);
          if (buf.length - o < 2 + len) break;
          o += 2 + len;
          loggedIn = true;
          s.write(Buffer.of(1));
          continue;
        }
        if (buf.length - o < 10) break;
        const total = 12 + buf.readUInt32BE(o + 4);
        if (buf.length - o < total) break;
        acks.push(buf[o + 9]);
        o += total;
      }
      buf = buf.subarray(o);
      if (acks.length > 0) {
        const out = Buffer.allocUnsafe(4 * acks.length);
        acks.forEach((n, i) => out.writeUInt32BE(n, 4 * i));
        records += acks.reduce((a, b) => a + b, 0);
        s.write(out);
      }
    });
  });

  const wialon = createServer({ noDelay: true }, (s) => {
    track(s);
    let pending = '';
    s.on('data', (chunk: Buffer) => {
      const text = pending + chunk.toString('latin1');
      let start = 0;
      let out = '';
      for (;;) {
        const lf = text.indexOf('\n', start);
        if (lf < 0) break;
        const type = text.slice(start + 1, text.indexOf('#', start + 1));
        if (type === 'L') out += '#AL#1\r\n';
        else if (type === 'D' || type === 'SD') {
          out += type === 'D' ? '#AD#1\r\n' : '#ASD#1\r\n';
          records++;
        } else if (type === 'B') {
          let n = 0;
          for (let i = start; i < lf; i++) if (text.charCodeAt(i) === 0x7c) n++; // v2.0: one '|' per body
          out += `#AB#${n}\r\n`;
          records += n;
        } else if (type === 'P') out += '#AP#\r\n';
        start = lf + 1;
      }
      pending = text.slice(start);
      if (out) s.write(out);
    });
  });

  const [teltonikaPort, wialonPort] = [await listen(teltonika), await listen(wialon)];
  return {
    teltonikaPort,
    wialonPort,
    get records() {
      return records;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([teltonika, wialon].map((srv) => new Promise<void>((r) => srv.close(() => r()))));
    },
  };
}
