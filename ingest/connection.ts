/**
 * One device connection over TCP: ordered replies, ack-after-commit and backpressure. Protocol
 * glue (teltonika-tcp.ts, wialon-tcp.ts) decides what a frame means; this class decides when
 * bytes may be read and when replies may be written.
 *
 * - Replies leave in the order their frames arrived, each only once the frame's records are
 *   committed; a frame with nothing to store is "committed" at once but still waits its turn.
 * - The socket is read again only after a chunk's frames are handled and while the connection
 *   has fewer than `maxInFlight` uncommitted frames and the pipeline has room (aedes-style).
 * - A commit failure closes the connection without the ack: the device keeps its data, reconnects
 *   and resends, and the dedup key makes the resend harmless.
 */
import type { Socket } from 'node:net';
import type { IngestUnit, Pipeline } from './pipeline.ts';

interface PendingReply {
  done: boolean;
  bytes: Uint8Array | null;
  closeAfter: boolean;
}

export interface ConnectionLimits {
  /** Uncommitted frames per connection before the socket is paused. */
  readonly maxInFlight: number;
}

export class DeviceConnection {
  private readonly replies: PendingReply[] = [];
  private inFlight = 0;
  private closed = false;
  private pausedByUs = false;
  private readonly onRoom = () => this.maybeResume();

  constructor(
    readonly socket: Socket,
    private readonly pipeline: Pipeline,
    private readonly limits: ConnectionLimits,
    private readonly onPausedChange: (delta: 1 | -1) => void,
  ) {
    socket.once('close', () => {
      this.closed = true;
      pipeline.offRoom(this.onRoom);
      if (this.pausedByUs) {
        this.pausedByUs = false;
        this.onPausedChange(-1);
      }
    });
  }

  /** Runs `fn` once the socket has closed, whoever closed it. */
  onClose(fn: () => void): void {
    this.socket.once('close', fn);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queues a reply that needs no commit (handshake answers, pings, negative answers). */
  reply(bytes: Uint8Array | null, closeAfter = false): void {
    this.replies.push({ done: true, bytes, closeAfter });
    this.flushReplies();
  }

  /** Submits a frame's records; its reply is written after they are committed. */
  commitThenReply(unit: IngestUnit, bytes: Uint8Array | null): void {
    const entry: PendingReply = { done: false, bytes, closeAfter: false };
    this.replies.push(entry);
    this.inFlight++;
    this.pipeline.submit(unit).then(
      () => {
        this.inFlight--;
        entry.done = true;
        this.flushReplies();
        this.maybeResume();
      },
      () => {
        // Not stored (CommitError) → no ack. Drop the connection so the device resends.
        this.inFlight--;
        this.socket.destroy();
      },
    );
  }

  /** Called after a chunk's frames were handled: decides whether to read on. */
  afterChunk(): void {
    if (this.closed) return;
    if (this.mustPause()) {
      if (!this.pausedByUs) {
        this.pausedByUs = true;
        this.socket.pause();
        this.onPausedChange(1);
      }
      if (this.pipeline.full) this.pipeline.onRoom(this.onRoom);
    }
  }

  /** Closes after every queued reply has been written. */
  end(): void {
    this.replies.push({ done: true, bytes: null, closeAfter: true });
    this.flushReplies();
  }

  private mustPause(): boolean {
    return this.inFlight >= this.limits.maxInFlight || this.pipeline.full;
  }

  private maybeResume(): void {
    if (this.closed || !this.pausedByUs) return;
    if (this.mustPause()) {
      if (this.pipeline.full) this.pipeline.onRoom(this.onRoom);
      return;
    }
    this.pausedByUs = false;
    this.onPausedChange(-1);
    this.socket.resume();
  }

  private flushReplies(): void {
    while (this.replies.length > 0 && this.replies[0].done) {
      const r = this.replies.shift()!;
      if (this.closed) continue;
      if (r.bytes && r.bytes.length > 0) this.socket.write(r.bytes);
      if (r.closeAfter) {
        this.socket.end();
        this.closed = true;
      }
    }
  }
}
