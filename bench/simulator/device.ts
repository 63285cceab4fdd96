/**
 * What every simulated device does, whatever its protocol: the packet life cycle (make → send →
 * ack or time out → resend → after K timeouts reconnect), pacing, the in-flight window, and the
 * counters. Transports (device-*.ts) supply connect/handshake, the bytes and the answer matching.
 *
 * A device is driven by two kinds of events only: its wake-up from the shared scheduler (pacing,
 * timeouts, reconnects) and the bytes its socket receives. No timers or closures per packet.
 */
import type { DeviceKind, SimulationOptions } from './options.ts';
import type { RecordSource } from './record-source.ts';
import type { Scheduler, Sleeper } from './scheduler.ts';
import type { DeviceCounters, KindStats } from './stats.ts';

export interface Packet {
  readonly bytes: Buffer;
  readonly records: number;
  /** Index of the packet in the device's life (0, 1, …): the Teltonika UDP packet id. */
  readonly index: number;
  firstSentAt: number;
  lastSentAt: number;
  /** Transmissions so far (1 + resends). */
  sends: number;
  acked: boolean;
}

export interface DeviceEnv {
  readonly scheduler: Scheduler;
  readonly options: SimulationOptions;
  readonly stats: KindStats;
  readonly random: () => number;
  onDone(device: SimDevice): void;
}

type State = 'idle' | 'backoff' | 'connecting' | 'handshake' | 'online' | 'done';

export abstract class SimDevice implements Sleeper, DeviceCounters {
  wakeAt = 0;
  slot = -1;
  packetsSent = 0;
  packetsAcked = 0;
  recordsSent = 0;
  recordsAcked = 0;
  resends = 0;
  reconnects = 0;
  timeouts = 0;
  connected = false;

  protected state: State = 'idle';
  /** Sent and not yet acknowledged, oldest first. */
  protected readonly inflight: Packet[] = [];
  private nextSeq = 0;
  private packetsMade = 0;
  private nextSendAt = -1;
  private deadline = 0;
  private consecutiveTimeouts = 0;
  private stopping = false;
  protected readonly opts: SimulationOptions;

  constructor(
    readonly kind: DeviceKind,
    /** IMEI / Wialon id: 15 ASCII digits. */
    readonly id: string,
    protected readonly source: RecordSource,
    protected readonly env: DeviceEnv,
    /** Packets allowed unacknowledged at once. */
    private readonly window: number,
  ) {
    this.opts = env.options;
  }

  // ---- transport hooks -------------------------------------------------------------------------

  /** Opens the transport; later calls `opened()` (TCP connected) and `loggedIn()` (handshake done). */
  protected abstract open(): void;
  /** Drops the transport at once; no callbacks may follow. `graceful` ends TCP with FIN. */
  protected abstract close(graceful: boolean): void;
  /** Encodes records firstSeq … firstSeq+n-1 as packet number `index`. */
  protected abstract encode(firstSeq: number, n: number, index: number): Buffer;
  /** Puts a packet on the wire (again) and notes that an answer is due. */
  protected abstract transmit(p: Packet): void;
  /** Optional: group several transmissions into one write. */
  protected cork(): void {}
  protected uncork(): void {}

  // ---- life cycle driven by the simulator ----------------------------------------------------------

  start(at: number): void {
    this.state = 'backoff';
    this.deadline = at;
    this.env.scheduler.schedule(this, at);
  }

  /** Stop making packets; finish once everything in flight is acknowledged. */
  stop(now: number): void {
    this.stopping = true;
    if (this.state !== 'done') this.rearm(now);
  }

  /** Drain timed out: give up on what is still unacknowledged. */
  abandon(): void {
    if (this.state === 'done') return;
    const unacked = this.recordsSent - this.recordsAcked;
    if (unacked > 0) this.env.stats.error('unacked-at-end', `device ${this.id}: ${unacked} records unacknowledged`);
    this.finish(false);
  }

  /** Reconnect storm: drop the connection (if it has one, or is opening one) and reconnect now. */
  storm(now: number): void {
    if (this.state !== 'connecting' && this.state !== 'handshake' && this.state !== 'online') return;
    this.reconnect(now, 0);
  }

  get done(): boolean {
    return this.state === 'done';
  }

  onWake(now: number): void {
    switch (this.state) {
      case 'backoff':
        this.state = 'connecting';
        this.deadline = now + this.opts.ackTimeoutMs;
        this.open();
        break;
      case 'connecting':
      case 'handshake':
        if (now >= this.deadline) {
          this.env.stats.error('handshake-timeout', `device ${this.id}: no ${this.state === 'connecting' ? 'connection' : 'login answer'} in ${this.opts.ackTimeoutMs} ms`);
          this.timeouts++;
          this.reconnect(now, this.jitter(1000));
          return;
        }
        break;
      case 'online':
        this.checkTimeout(now);
        if (this.state === 'online') this.pump(now);
        break;
      default:
        return;
    }
    this.rearm(now);
  }

  // ---- called by transports ----------------------------------------------------------------------

  protected opened(): void {
    this.connected = true;
    if (this.state === 'connecting') this.state = 'handshake';
  }

  protected loggedIn(now: number): void {
    this.connected = true;
    this.state = 'online';
    if (this.nextSendAt < 0) this.nextSendAt = now + (this.opts.intervalMs > 0 ? this.env.random() * this.opts.intervalMs : 0);
    if (this.inflight.length > 0) {
      // A new connection: everything unacknowledged goes again, in order (the gateway dedups).
      this.cork();
      for (const p of this.inflight) {
        this.resends++;
        p.sends++;
        p.lastSentAt = now;
        this.transmit(p);
      }
      this.uncork();
    }
    this.pump(now);
    this.rearm(now);
  }

  protected refused(now: number, detail: string): void {
    this.env.stats.error('login-rejected', `device ${this.id}: ${detail}`);
    this.reconnect(now, Math.max(5000, this.opts.ackTimeoutMs));
  }

  /** The transport went away without us closing it; `detail` null when already counted as an error. */
  protected lost(now: number, detail: string | null): void {
    if (this.state === 'done') return;
    if (detail !== null) this.env.stats.error('closed-by-gateway', `device ${this.id}: ${detail}`);
    this.connected = false;
    this.reconnect(now, 100 + this.jitter(900));
  }

  /** An answer acknowledged `p`. Returns false when `p` was already acknowledged (a late duplicate). */
  protected acked(p: Packet, now: number): boolean {
    if (p.acked) return false;
    p.acked = true;
    const i = this.inflight[0] === p ? 0 : this.inflight.indexOf(p);
    if (i >= 0) this.inflight.splice(i, 1);
    this.packetsAcked++;
    this.recordsAcked += p.records;
    this.consecutiveTimeouts = 0;
    this.env.stats.recordLatency(now - p.firstSentAt);
    if (this.state === 'online') {
      this.pump(now);
      this.rearm(now);
    }
    return true;
  }

  /** The answer for `p` was negative or carried the wrong count: the device sends the packet again. */
  protected rejected(p: Packet, now: number, detail: string): void {
    this.env.stats.error('bad-answer', `device ${this.id}: ${detail}`);
    if (p.acked || this.state !== 'online') return;
    if (++this.consecutiveTimeouts >= this.opts.reconnectAfter) {
      this.consecutiveTimeouts = 0;
      this.reconnect(now, this.jitter(1000));
      return;
    }
    this.resend(p, now);
  }

  protected jitter(ms: number): number {
    return Math.floor(this.env.random() * ms);
  }

  // ---- internals ---------------------------------------------------------------------------------

  private get mayMakeMore(): boolean {
    return !this.stopping && (this.opts.packets === null || this.packetsMade < this.opts.packets);
  }

  private resend(p: Packet, now: number): void {
    this.resends++;
    p.sends++;
    p.lastSentAt = now;
    this.transmit(p);
  }

  private pump(now: number): void {
    if (this.inflight.length >= this.window || !this.mayMakeMore || now < this.nextSendAt) return;
    this.cork();
    const { intervalMs, blackBoxEvery, blackBoxSize, recordsPerPacket } = this.opts;
    while (this.inflight.length < this.window && this.mayMakeMore && now >= this.nextSendAt) {
      const index = this.packetsMade++;
      const n = blackBoxEvery > 0 && index % blackBoxEvery === blackBoxEvery - 1 ? blackBoxSize : recordsPerPacket;
      const p: Packet = { bytes: this.encode(this.nextSeq, n, index), records: n, index, firstSentAt: now, lastSentAt: now, sends: 1, acked: false };
      this.nextSeq += n;
      this.inflight.push(p);
      this.packetsSent++;
      this.recordsSent += n;
      this.transmit(p);
      if (intervalMs > 0) {
        this.nextSendAt += intervalMs;
        if (this.nextSendAt < now - intervalMs) this.nextSendAt = now; // fell behind (slow acks): no catch-up burst
      }
    }
    this.uncork();
  }

  private checkTimeout(now: number): void {
    const head = this.inflight[0];
    if (!head || now < head.lastSentAt + this.opts.ackTimeoutMs) return;
    this.timeouts++;
    if (++this.consecutiveTimeouts >= this.opts.reconnectAfter) {
      this.consecutiveTimeouts = 0;
      this.reconnect(now, this.jitter(1000));
      return;
    }
    this.resend(head, now);
  }

  private reconnect(now: number, delayMs: number): void {
    this.close(false);
    this.connected = false;
    this.reconnects++;
    this.state = 'backoff';
    this.deadline = now + delayMs;
    this.rearm(now);
  }

  private finish(graceful: boolean): void {
    this.state = 'done';
    this.env.scheduler.cancel(this);
    this.close(graceful);
    this.connected = false;
    this.env.onDone(this);
  }

  /** Files the next wake-up, or finishes when there is nothing left to do. */
  private rearm(now: number): void {
    switch (this.state) {
      case 'backoff':
      case 'connecting':
      case 'handshake':
        if (this.stopping && this.inflight.length === 0) return this.finish(true);
        this.env.scheduler.schedule(this, this.deadline);
        return;
      case 'online': {
        const head = this.inflight[0];
        if (!head && !this.mayMakeMore) return this.finish(true);
        let at = head ? head.lastSentAt + this.opts.ackTimeoutMs : Infinity;
        if (this.mayMakeMore && this.inflight.length < this.window) at = Math.min(at, Math.max(this.nextSendAt, now));
        if (at !== this.wakeAt) this.env.scheduler.schedule(this, at);
        return;
      }
      default:
        return;
    }
  }
}
