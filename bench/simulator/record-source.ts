/**
 * What a simulated device reports: record number `seq` has device time `timeBase + seq × stepMs`
 * (strictly increasing, whole seconds, so every record is distinct even for Wialon's 1-s clock)
 * and the position of that moment on the device's own path.
 */
import { newFix, VehiclePath, type Fix } from './motion.ts';

export class RecordSource {
  /** Scratch fix, overwritten by `fixAt`: read it before the next call. */
  private readonly scratch: Fix = newFix();

  constructor(
    readonly path: VehiclePath,
    /** ms since the epoch, a whole second. */
    readonly timeBase: number,
    /** ms between records, a positive multiple of 1000. */
    readonly stepMs: number,
  ) {}

  timeOf(seq: number): number {
    return this.timeBase + seq * this.stepMs;
  }

  fixAt(seq: number): Fix {
    return this.path.at(seq, this.stepMs, this.scratch);
  }
}
