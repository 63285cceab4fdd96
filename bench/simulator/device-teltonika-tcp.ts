/**
 * A Teltonika tracker over TCP (teltonika.md §2): IMEI packet → 01, then one AVL packet at a
 * time, each acknowledged by a u32 equal to its record count; a different count means "send it
 * again" (§2 step 4).
 */
import { encodeImei, type AvlCodec } from '../../protocols/teltonika/index.ts';
import type { DeviceEnv } from './device.ts';
import type { RecordSource } from './record-source.ts';
import { TcpDevice } from './tcp-device.ts';
import { buildTeltonikaTcp } from './teltonika-packets.ts';

export class TeltonikaTcpDevice extends TcpDevice {
  private readonly helloBytes: Uint8Array;
  private readonly codec: AvlCodec;
  /** Bytes of a split 4-byte ack. */
  private readonly partial = Buffer.alloc(4);
  private partialLength = 0;

  constructor(id: string, source: RecordSource, env: DeviceEnv) {
    super('teltonika-tcp', id, source, env, 1);
    this.helloBytes = encodeImei(id);
    this.codec = env.options.codec;
  }

  protected port(): number {
    return this.opts.teltonikaPort;
  }

  protected hello(): Uint8Array {
    return this.helloBytes;
  }

  protected resetParser(): void {
    this.partialLength = 0;
  }

  protected encode(firstSeq: number, n: number): Buffer {
    return buildTeltonikaTcp(this.codec, n, this.source, firstSeq);
  }

  protected onBytes(chunk: Buffer, now: number): void {
    let i = 0;
    if (this.state === 'handshake') {
      const answer = chunk[0];
      if (answer !== 0x01) return this.refused(now, `IMEI answered 0x${answer.toString(16).padStart(2, '0')}`);
      i = 1;
      this.loggedIn(now);
    }
    while (i < chunk.length && this.state === 'online') {
      const take = Math.min(4 - this.partialLength, chunk.length - i);
      chunk.copy(this.partial, this.partialLength, i, i + take);
      this.partialLength += take;
      i += take;
      if (this.partialLength < 4) return;
      this.partialLength = 0;
      this.onAck(this.partial.readUInt32BE(0), now);
    }
  }

  private onAck(count: number, now: number): void {
    const p = this.nextExpected(`ack ${count}`);
    if (!p || p.acked) return; // a late answer to a transmission that was already acknowledged
    if (count === p.records) this.acked(p, now);
    else this.rejected(p, now, `ack ${count} for a packet of ${p.records} records`);
  }
}
