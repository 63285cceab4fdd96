/** Decode-error log sampling with a controlled clock: per connection, globally, and the summaries. */
import { describe, expect, it } from 'vitest';
import { DecodeErrorLog } from './error-log.ts';

function recorder() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  return { lines, warn: (obj: object, msg: string) => lines.push({ obj: obj as Record<string, unknown>, msg }) };
}

describe('DecodeErrorLog', () => {
  it('per connection: the first ones in full (hex capped), then one summary with the counts at close', () => {
    const log = recorder();
    const errors = new DecodeErrorLog(log, { perConnection: 3, perSecond: 100, burst: 100, hexBytes: 4 });
    const s = errors.session(log);
    for (let i = 0; i < 10; i++) s.report({ device: 'd' }, i < 8 ? 'FM_ERR_BAD_PREAMBLE' : 'FM_ERR_MALFORMED', 'bad', Uint8Array.of(1, 2, 3, 4, 5, 6));
    expect(log.lines).toHaveLength(3);
    expect(log.lines[0].obj).toMatchObject({ device: 'd', code: 'FM_ERR_BAD_PREAMBLE', hex: '01020304', bytes: 6 });
    s.close({ device: 'd' });
    expect(log.lines).toHaveLength(4);
    expect(log.lines[3].obj).toMatchObject({ device: 'd', suppressed: 7, codes: { FM_ERR_BAD_PREAMBLE: 5, FM_ERR_MALFORMED: 2 } });
    errors.flush(); // the session's summary covered them: nothing left for the global one
    expect(log.lines).toHaveLength(4);
  });

  it('globally: at most burst + rate × time lines, whatever the number of connections; the rest summed by flush', () => {
    let now = 0;
    const log = recorder();
    const errors = new DecodeErrorLog(log, { perConnection: 3, perSecond: 5, burst: 10, hexBytes: 256 }, () => now);
    const sessions = Array.from({ length: 2000 }, () => errors.session(log));
    for (const s of sessions) s.report({}, 'FM_ERR_BAD_IMEI', 'bad', Uint8Array.of(0x41, 0x42, 0x43));
    expect(log.lines).toHaveLength(10);
    now += 1000; // one second: 5 more lines
    for (const s of sessions) s.close();
    expect(log.lines).toHaveLength(15);
    errors.flush();
    expect(log.lines).toHaveLength(16);
    // 10 logged in full, 5 connection summaries of one each, the rest in the global summary.
    expect(log.lines[15].obj).toMatchObject({ suppressed: 2000 - 10 - 5, codes: { FM_ERR_BAD_IMEI: 1985 } });
  });
});
