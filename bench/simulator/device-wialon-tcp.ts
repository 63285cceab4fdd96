/**
 * A Wialon IPS 2.0 tracker over TCP (wialon-ips.md §3, §5, §7, §8): `#L#2.0;id;NA;CRC` → `#AL#1`,
 * then `#D#` (one record) or `#B#` (several) packets, up to `--pipeline` of them unanswered at
 * once; answers (`#AD#1`, `#AB#n`) arrive in order and are matched to transmissions in order.
 */
import { encodeLogin } from '../../protocols/wialon-ips/index.ts';
import type { DeviceEnv } from './device.ts';
import type { RecordSource } from './record-source.ts';
import { TcpDevice } from './tcp-device.ts';
import { buildWialon } from './wialon-packets.ts';
import { checkWialonAnswer } from './wialon-answer.ts';

export class WialonTcpDevice extends TcpDevice {
  private readonly helloBytes: Uint8Array;
  /** An answer line split across chunks. */
  private pendingLine = '';

  constructor(id: string, source: RecordSource, env: DeviceEnv) {
    super('wialon-tcp', id, source, env, env.options.pipeline);
    this.helloBytes = encodeLogin('2.0', id, null);
    this.pipelined = env.options.pipeline > 1;
  }

  protected port(): number {
    return this.opts.wialonPort;
  }

  protected hello(): Uint8Array {
    return this.helloBytes;
  }

  protected resetParser(): void {
    this.pendingLine = '';
  }

  protected encode(firstSeq: number, n: number): Buffer {
    return buildWialon(n, this.source, firstSeq, 'tcp');
  }

  protected onBytes(chunk: Buffer, now: number): void {
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(0x0a, start);
      if (lf < 0) break;
      let line = chunk.toString('latin1', start, lf > start && chunk[lf - 1] === 0x0d ? lf - 1 : lf);
      if (this.pendingLine) {
        line = (this.pendingLine + line).replace(/\r$/, '');
        this.pendingLine = '';
      }
      start = lf + 1;
      this.onLine(line, now);
      if (this.state !== 'online' && this.state !== 'handshake') return; // reconnecting
    }
    if (start < chunk.length) this.pendingLine += chunk.toString('latin1', start);
  }

  private onLine(line: string, now: number): void {
    if (this.state === 'handshake') {
      if (line === '#AL#1') this.loggedIn(now);
      else this.refused(now, `login answered ${JSON.stringify(line)}`);
      return;
    }
    const p = this.nextExpected(JSON.stringify(line));
    if (!p || p.acked) return;
    const problem = checkWialonAnswer(line, p.records);
    if (problem === null) this.acked(p, now);
    else this.rejected(p, now, problem);
  }
}
