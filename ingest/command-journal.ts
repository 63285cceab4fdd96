/**
 * The command journal: every server → device command and how it ended (answered with the
 * device's response, timed out, device disconnected or not connected, not delivered), and every
 * response nobody waited for, stored in ClickHouse (`device_commands`) so that what was asked of
 * a device and what it said stays on record across restarts and gateway instances.
 *
 * Writes are small and rare (people send commands, not devices); each outcome is inserted on its
 * own, and a failed write is logged, never allowed to disturb the command itself.
 */
import { sqlNumber, sqlString } from '../store/sql.ts';
import type { Migration, Store } from '../store/types.ts';
import type { CommandOutcome } from './commands.ts';

export const COMMANDS_TABLE = 'device_commands';

export const commandMigrations: readonly Migration[] = [
  {
    id: '0110_device_commands',
    statements: [
      `CREATE TABLE IF NOT EXISTS ${COMMANDS_TABLE} (
        device_id String,
        day Date,
        at_ts Int64,
        command_id String,
        protocol String,
        command String,
        outcome String,
        response String,
        detail String,
        sent_ts Int64
      ) ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (device_id, at_ts, command_id)`,
    ],
  },
];

export interface JournalEntry extends CommandOutcome {}

interface Row {
  device_id: string;
  at: string;
  command_id: string;
  protocol: string;
  command: string;
  outcome: string;
  response: string;
  detail: string;
  sent: string;
}

export class CommandJournal {
  constructor(
    private readonly store: Store,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  /** Records an outcome (fire and forget: the returned promise never rejects). */
  record(o: CommandOutcome): Promise<void> {
    return this.store
      .insert(COMMANDS_TABLE, [
        {
          device_id: o.deviceId,
          day: new Date(o.at).toISOString().slice(0, 10),
          at_ts: o.at,
          command_id: o.id,
          protocol: o.protocol,
          command: o.command,
          outcome: o.outcome,
          response: o.response,
          detail: o.detail,
          sent_ts: o.sentAt,
        },
      ])
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message, device: o.deviceId, command: o.command, outcome: o.outcome }, 'command journal write failed'));
  }

  /** A device's journal, newest first. */
  async list(deviceId: string, limit = 100): Promise<JournalEntry[]> {
    const rows = await this.store.query<Row>(
      `SELECT device_id, toString(at_ts) AS at, command_id, protocol, command, outcome, response, detail, toString(sent_ts) AS sent FROM ${COMMANDS_TABLE} ` +
        `WHERE device_id = ${sqlString(deviceId)} ORDER BY at_ts DESC, command_id DESC LIMIT ${sqlNumber(limit)}`,
    );
    return rows.map((r) => ({
      id: r.command_id,
      deviceId: r.device_id,
      protocol: r.protocol,
      command: r.command,
      outcome: r.outcome as CommandOutcome['outcome'],
      response: r.response,
      detail: r.detail,
      sentAt: Number(r.sent),
      at: Number(r.at),
    }));
  }
}
