/**
 * What one record costs embedded ClickHouse (chDB) to store, in CPU: the budget that bounds
 * bench:ingest. The same rows the gateway writes (Teltonika Codec 8E, 20 IO elements; one 1.3 KB
 * frame per 10 records) are built first, then inserted in batches of 10 000 the way the pipeline
 * does, and the process's CPU time (all threads: parsing, sorting, compression, the
 * device_last_seen view, merges that start meanwhile) is divided by the rows.
 *
 *   npm run bench:insert-cost                  → bench/RESULTS.md, section "Insert cost"
 *   npm run bench:insert-cost -- --no-results
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allMigrations, splitArgs } from '../cli/runtime.ts';
import { FRAME_COLUMNS, RECORD_COLUMNS, writeFrameRow, writeRecordRow } from '../store/records.ts';
import { migrate, openStore, storeMigrations } from '../store/index.ts';
import { type PresenceRecord, PresenceEngine } from '../rating/engine.ts';
import { MemoryPresenceStorage } from '../rating/presence-storage.ts';
import { PRESENCE_COLUMNS, presenceInsert } from '../rating/presence-store.ts';
import { PRESENCE_TABLE } from '../rating/schema.ts';
import { RowBinaryWriter } from '../store/row-binary.ts';
import type { Migration } from '../store/types.ts';
import { machine, machineLine, writeSection } from './simulator/results-md.ts';

const { flags } = splitArgs(process.argv.slice(2));
const BATCHES = 20;
const BATCH = 10_000;
const now = Date.UTC(2026, 10, 1);

function payloads() {
  const frame = Buffer.alloc(1300, 7);
  const out: { records: Buffer; frames: Buffer; presence: Buffer }[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const r = new RowBinaryWriter(1 << 22);
    const f = new RowBinaryWriter(1 << 22);
    // Presence as the engine stages it: one row per device the batch gives a new minute — here
    // every device of the batch (the worst case; a tracker reporting every second adds a minute
    // once a minute), its bitmap holding every minute so far that day.
    const engine = new PresenceEngine({ storage: new MemoryPresenceStorage() });
    const staged: PresenceRecord[] = [];
    for (let i = 0; i < BATCH; i++) {
      const n = b * BATCH + i;
      const deviceId = String(352093081000000 + (Math.floor(n / 10) % 6000)); // a packet of 10 records per device, as in bench:ingest
      const record = { protocol: 'teltonika', deviceId, deviceTime: now + n * 1000, receivedAt: now + n * 1000 + 500, latitude: 54.1234567, longitude: 25.7654321, altitude: 120, speed: 55, course: 180, satellites: 11, hdop: null, valid: true, priority: 0, eventId: 0, archive: false, io: Array.from({ length: 20 }, (_, k) => ({ id: k + 1, value: (n * 31 + k) % 100_000 })) } as const;
      writeRecordRow(r, record, 'tcp', n);
      if (n % 10 === 0) writeFrameRow(f, deviceId, 'teltonika', 'tcp', now + n * 1000, n, frame);
      staged.push({ deviceId, deviceTime: now + b * 60_000 + (i % 60) * 1000, receivedAt: now + b * 60_000 + 61_000 });
    }
    const s = engine.stage(staged);
    out.push({ records: Buffer.from(r.bytes()), frames: Buffer.from(f.bytes()), presence: Buffer.from(presenceInsert(s.rows, s.writer).payload) });
    s.done(true);
  }
  return out;
}

interface Row {
  readonly what: string;
  readonly rowsPerSecond: number;
  readonly cpuMicrosPerRecord: number;
}

/** One case in a child process (chDB binds one data directory per process). */
async function runCase(name: string, migrations: readonly Migration[], tables: 'records' | 'frames' | 'presence' | 'both' | 'all'): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'fm-insert-cost-'));
  const store = await openStore({ backend: 'chdb', path: dir, database: 'bench' });
  try {
    await migrate(store, migrations);
    const data = payloads();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const b of data) {
      await Promise.all([
        tables === 'records' || tables === 'both' || tables === 'all' ? store.insertRowBinary('records', RECORD_COLUMNS, b.records) : null,
        tables === 'frames' || tables === 'both' || tables === 'all' ? store.insertRowBinary('frames', FRAME_COLUMNS, b.frames) : null,
        tables === 'presence' || tables === 'all' ? store.insertRowBinary(PRESENCE_TABLE, PRESENCE_COLUMNS, b.presence) : null,
      ]);
    }
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const rows = BATCHES * BATCH;
    return { what: name, rowsPerSecond: Math.round(rows / wall), cpuMicrosPerRecord: Math.round(((c.user + c.system) / rows) * 10) / 10 };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (flags.case !== undefined) {
  const cases: { [k: string]: () => Promise<Row> } = {
    'records-table': () => runCase('`records` alone (no materialized view)', storeMigrations, 'records'),
    records: () => runCase('`records` with the `device_last_seen` view', allMigrations, 'records'),
    frames: () => runCase('`frames` (one 1.3 KB frame per 10 records, raw bytes)', allMigrations, 'frames'),
    both: () => runCase('records + frames (the gateway before presence was committed with them)', allMigrations, 'both'),
    presence: () => runCase('`rating_presence` (a row per device of the batch: the worst case)', allMigrations, 'presence'),
    all: () => runCase('records + frames + presence, as the gateway inserts them', allMigrations, 'all'),
  };
  process.stdout.write(JSON.stringify(await cases[flags.case]()) + '\n');
  process.exit(0);
}

const { execFileSync } = await import('node:child_process');
const rows: Row[] = [];
for (const c of ['records-table', 'records', 'frames', 'both', 'presence', 'all']) {
  const out = execFileSync(process.execPath, ['bin/run-ts.js', 'bench/insert-cost.ts', '--case', c], { encoding: 'utf8' });
  const row = JSON.parse(out.trim().split('\n').pop()!) as Row;
  process.stderr.write(`${row.what}: ${row.rowsPerSecond} rows/s, ${row.cpuMicrosPerRecord} µs CPU per record\n`);
  rows.push(row);
}
const m = machine();
const total = rows[rows.length - 1].cpuMicrosPerRecord;
const before = rows.find((r) => r.what.startsWith('records + frames ('))!.cpuMicrosPerRecord;
const presenceAlone = rows.find((r) => r.what.startsWith('`rating_presence`'))!.cpuMicrosPerRecord;
const body = `\`npm run bench:insert-cost\` (\`bench/insert-cost.ts\`), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.
**Machine:** ${machineLine(m)}.

${BATCHES} inserts of ${BATCH.toLocaleString('en-US')} rows (RowBinary, as the pipeline writes them: Teltonika Codec 8E records with
20 IO elements, 6 000 devices, ten records a device in a row as packets carry them) into a fresh embedded chDB, one after another; CPU is the whole process's (every chDB thread).

| insert | records/s (one insert at a time) | CPU µs per record |
|---|---:|---:|
${rows.map((r) => `| ${r.what} | ${r.rowsPerSecond.toLocaleString('en-US')} | ${r.cpuMicrosPerRecord} |`).join('\n')}

Presence in the same commit (session 5): the presence insert alone costs ${presenceAlone} µs per record in its worst case (a
presence row for every device of every batch; with trackers reporting every second a batch adds a row for a device only when
its minute changes); records + frames + presence together ${total} µs against ${before} µs without it, in parallel inserts
as the pipeline makes them (differences under ~1 µs are within this machine's run-to-run spread).

What this means for bench:ingest: storing a record costs chDB about ${total} µs of CPU; the gateway's JavaScript
(decode, RowBinary serialisation, socket reads and acks, rating) costs about 11 µs more (ingest-null-store in *Ingest*: ~95 000
records/s on 1.08 cores). At 100 000 records/s that is about ${Math.round(((total + 11) * 100_000) / 1e6 * 10) / 10} cores for the gateway alone, before the
simulator (~0.4 cores at that rate) — more than this ${m.cores}-CPU machine has, so the ≥ 100 000 records/s target cannot be met here
with chDB in-process and this schema (every record with its IO list, every raw frame). Each insert also has a fixed cost
(a new part per table, ~15–35 ms of CPU for records with the view on this machine's ext4, measured with single-row inserts),
which bounds how many batches a second the gateway can commit. A ClickHouse server on other cores, or more cores, moves
the bound.`;
process.stdout.write(`\n${body}\n`);
if (flags['no-results'] !== 'true') writeSection(new URL('./RESULTS.md', import.meta.url).pathname, '## Insert cost (bench:insert-cost)', body);
