/**
 * Holds MQTT work while the pipeline is full, and runs it, oldest first, as commits make room.
 *
 * The broker reads a client's socket again only after every packet of the chunk it parsed has
 * been handled (aedes: one parse batch at a time), and the bridge takes the next message only after
 * the current one is acked (mqtt.js `handleMessage`). So a message held here also stops its
 * connection: memory stays bounded by one parse batch per connection, with no queue that grows.
 */
import type { Gauge } from 'prom-client';
import type { Pipeline } from '../pipeline.ts';

export class PipelineGate {
  private readonly waiters: (() => void)[] = [];
  private readonly onDrain = () => this.release();

  constructor(
    private readonly pipeline: Pipeline,
    private readonly waitingGauge: Gauge,
  ) {
    pipeline.on('drain', this.onDrain);
  }

  /** Runs `work` now if the pipeline has room and nobody is waiting, else once it has (FIFO). */
  run(work: () => void): void {
    if (this.waiters.length === 0 && !this.pipeline.full) {
      work();
      return;
    }
    this.waiters.push(work);
    this.waitingGauge.inc();
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Runs everything held (the pipeline refuses it if it is closing) and stops listening. */
  close(): void {
    this.pipeline.off('drain', this.onDrain);
    while (this.waiters.length > 0) this.next();
  }

  private release(): void {
    // `work` submits synchronously, so `full` is up to date after each one.
    while (this.waiters.length > 0 && !this.pipeline.full) this.next();
  }

  private next(): void {
    this.waitingGauge.dec();
    this.waiters.shift()!();
  }
}
