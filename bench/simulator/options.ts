/**
 * `fleetmeter simulate` options: one table gives the flags, their defaults and the help text, and
 * `parseSimulationFlags` validates a flag map (from `splitArgs`) into `SimulationOptions`.
 */
import type { AvlCodec } from '../../protocols/teltonika/index.ts';
import { parseCodec } from './teltonika-packets.ts';

export const DEVICE_KINDS = ['teltonika-tcp', 'wialon-tcp', 'teltonika-udp', 'wialon-udp'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export interface SimulationOptions {
  readonly host: string;
  readonly devices: number;
  /** Share of devices per kind, in percent (sums to 100). */
  readonly mix: { readonly [K in DeviceKind]: number };
  /** TCP port; UDP uses the same number unless `teltonikaUdpPort` says otherwise. */
  readonly teltonikaPort: number;
  readonly wialonPort: number;
  readonly teltonikaUdpPort?: number;
  readonly wialonUdpPort?: number;
  /** Time between a device's packets (0: send as soon as the window allows). */
  readonly intervalMs: number;
  readonly recordsPerPacket: number;
  /** Every Nth packet is a burst of `blackBoxSize` records (0: never). */
  readonly blackBoxEvery: number;
  readonly blackBoxSize: number;
  /** Wialon TCP: `#D#`/`#B#` packets unacknowledged in flight per device. */
  readonly pipeline: number;
  readonly ackTimeoutMs: number;
  /** Consecutive ack timeouts after which a device reconnects. */
  readonly reconnectAfter: number;
  /** Seconds after the start at which every connection is dropped and reopened at once. */
  readonly reconnectStormAt: number | null;
  /** Seconds of sending (then the simulator waits for the last acks). */
  readonly durationS: number | null;
  /** Packets per device (then the device stops). */
  readonly packets: number | null;
  /** Connects are spread evenly over this many ms. */
  readonly rampMs: number;
  readonly seed: number;
  readonly codec: AvlCodec;
  /** Device i gets IMEI / Wialon id `imeiBase + i` (15 digits). */
  readonly imeiBase: number;
  /** After sending stops, how long to wait for outstanding acks. */
  readonly drainTimeoutMs: number;
}

export const DEFAULT_OPTIONS: SimulationOptions = {
  host: '127.0.0.1',
  devices: 100,
  mix: { 'teltonika-tcp': 60, 'wialon-tcp': 30, 'teltonika-udp': 5, 'wialon-udp': 5 },
  teltonikaPort: 5027,
  wialonPort: 20332,
  intervalMs: 1000,
  recordsPerPacket: 1,
  blackBoxEvery: 0,
  blackBoxSize: 50,
  pipeline: 1,
  ackTimeoutMs: 10_000,
  reconnectAfter: 3,
  reconnectStormAt: null,
  durationS: 10,
  packets: null,
  rampMs: 1000,
  seed: 1,
  codec: 0x8e,
  imeiBase: 350_000_000_000_000,
  drainTimeoutMs: 30_000,
};

/** Every flag of `fleetmeter simulate` (strict parsing in cli/args.ts): the values, then the switches. */
export const SIMULATE_FLAGS: readonly { readonly name: string; readonly value: boolean }[] = [
  ...['host', 'teltonika-port', 'wialon-port', 'teltonika-udp-port', 'wialon-udp-port', 'devices', 'mix', 'imei-base', 'codec', 'seed', 'interval-ms', 'records-per-packet', 'black-box-every', 'black-box-size', 'pipeline', 'ack-timeout-ms', 'reconnect-after', 'reconnect-storm-at', 'duration', 'packets', 'ramp-ms', 'drain-timeout-ms'].map((name) => ({ name, value: true })),
  ...['json', 'progress'].map((name) => ({ name, value: false })),
];

export class OptionError extends Error {
  readonly code = 'FM_ERR_BAD_OPTION';
}

export const SIMULATE_HELP = `usage: fleetmeter simulate [options]

Simulates GPS trackers against a running gateway and reports what was sent, acknowledged and how
fast. Each device behaves like hardware: Teltonika TCP sends its IMEI, waits for 01, sends an AVL
packet and waits for the 4-byte ack equal to its record count; Wialon IPS TCP logs in (#L# v2.0
with CRC), waits for #AL#1 and matches #AD#1 / #AB#n answers in order; UDP devices wait for the
ack datagram. Unacknowledged packets are resent after --ack-timeout-ms, and a device reconnects
after --reconnect-after timeouts in a row. Records carry increasing device times, positions along
a path and 20 Teltonika IO elements / 10 Wialon params.

target
  --host H                   gateway address (default 127.0.0.1)
  --teltonika-port P         Teltonika TCP and UDP port (default 5027)
  --wialon-port P            Wialon IPS TCP and UDP port (default 20332)
  --teltonika-udp-port P     Teltonika UDP port when it differs from --teltonika-port
  --wialon-udp-port P        Wialon IPS UDP port when it differs from --wialon-port

devices
  --devices N                simulated devices (default 100)
  --mix K=P,…                percent per kind (default teltonika-tcp=60,wialon-tcp=30,teltonika-udp=5,wialon-udp=5)
  --imei-base N              first IMEI / Wialon id, 15 digits; device i gets base+i (default 350000000000000)
  --codec 8|8e|16            Teltonika codec (default 8e)
  --seed N                   seed for paths and phases (default 1)

traffic
  --interval-ms MS           time between a device's packets; 0 = as fast as acks allow (default 1000)
  --records-per-packet N     records per packet: 1 = live reporting, >1 = black-box upload (default 1)
  --black-box-every N        every Nth packet is a burst of --black-box-size records (default 0 = never)
  --black-box-size N         records in a burst, ≤ 255 for Teltonika (default 50)
  --pipeline D               Wialon TCP: up to D packets unacknowledged in flight (default 1);
                             Teltonika waits for each ack, as the hardware does
  --ack-timeout-ms MS        resend the same packet when its ack is this late (default 10000)
  --reconnect-after K        reconnect after K ack timeouts in a row (default 3)
  --reconnect-storm-at S     at S seconds drop every connection and reconnect all at once

length (the first limit reached ends sending; then the simulator waits for the last acks)
  --duration S               seconds of sending (default 10 unless --packets is given)
  --packets N                packets per device
  --ramp-ms MS               spread the connects over MS (default 1000)
  --drain-timeout-ms MS      how long to wait for outstanding acks at the end (default 30000)

output
  --json                     print the final summary as JSON
  --progress                 a progress line on stderr every second (default: only when stderr is a TTY)

Exit status: 0 when every record sent was acknowledged, 1 otherwise, 2 for bad options.

Open files: every TCP device and every UDP device holds one socket (one file descriptor).
Check \`ulimit -n\` (often 1024) and raise it for large runs, e.g. \`ulimit -n 65536\` before
10 000 devices; the gateway needs as many descriptors on its side. Each TCP connection also takes
a local port: on one machine the range (/proc/sys/net/ipv4/ip_local_port_range) limits a
simulator to about 28 000 connections per gateway address.
`;

function int(flags: { readonly [k: string]: string }, name: string, def: number, min: number, max: number): number {
  const raw = flags[name];
  if (raw === undefined) return def;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new OptionError(`--${name}: expected an integer ${min}..${max}, got ${JSON.stringify(raw)}`);
  return v;
}

export function parseMix(text: string): SimulationOptions['mix'] {
  const mix: { [K in DeviceKind]: number } = { 'teltonika-tcp': 0, 'wialon-tcp': 0, 'teltonika-udp': 0, 'wialon-udp': 0 };
  for (const part of text.split(',')) {
    const [kind, value] = part.split('=').map((s) => s.trim());
    if (!(DEVICE_KINDS as readonly string[]).includes(kind)) throw new OptionError(`--mix: unknown kind "${kind}"; expected ${DEVICE_KINDS.join(', ')}`);
    const v = Number(value);
    if (!(v >= 0 && v <= 100)) throw new OptionError(`--mix: ${kind} needs a percentage 0..100, got ${JSON.stringify(value)}`);
    mix[kind as DeviceKind] = v;
  }
  const total = DEVICE_KINDS.reduce((s, k) => s + mix[k], 0);
  if (Math.abs(total - 100) > 1e-9) throw new OptionError(`--mix: percentages add up to ${total}, expected 100`);
  return mix;
}

/** Validated options from a flag map; unknown flags are an error (a typo must not run a different test). */
export function parseSimulationFlags(flags: { readonly [k: string]: string }): SimulationOptions {
  const known = new Set([
    'host', 'devices', 'mix', 'teltonika-port', 'wialon-port', 'teltonika-udp-port', 'wialon-udp-port', 'interval-ms', 'records-per-packet', 'black-box-every',
    'black-box-size', 'pipeline', 'ack-timeout-ms', 'reconnect-after', 'reconnect-storm-at', 'duration', 'packets',
    'ramp-ms', 'seed', 'codec', 'imei-base', 'drain-timeout-ms', 'json', 'progress', 'help',
  ]);
  for (const k of Object.keys(flags)) if (!known.has(k)) throw new OptionError(`unknown option --${k} (see --help)`);
  const d = DEFAULT_OPTIONS;
  const codec = flags.codec === undefined ? d.codec : parseCodec(flags.codec);
  if (codec === null) throw new OptionError(`--codec: expected 8, 8e or 16, got ${JSON.stringify(flags.codec)}`);
  const packets = flags.packets === undefined ? null : int(flags, 'packets', 0, 1, 1e9);
  const durationS = flags.duration === undefined ? (packets === null ? d.durationS : null) : int(flags, 'duration', 0, 1, 1e7);
  const options: SimulationOptions = {
    host: flags.host ?? d.host,
    devices: int(flags, 'devices', d.devices, 1, 1_000_000),
    mix: flags.mix === undefined ? d.mix : parseMix(flags.mix),
    teltonikaPort: int(flags, 'teltonika-port', d.teltonikaPort, 1, 65535),
    wialonPort: int(flags, 'wialon-port', d.wialonPort, 1, 65535),
    ...(flags['teltonika-udp-port'] !== undefined ? { teltonikaUdpPort: int(flags, 'teltonika-udp-port', 0, 1, 65535) } : {}),
    ...(flags['wialon-udp-port'] !== undefined ? { wialonUdpPort: int(flags, 'wialon-udp-port', 0, 1, 65535) } : {}),
    intervalMs: int(flags, 'interval-ms', d.intervalMs, 0, 86_400_000),
    recordsPerPacket: int(flags, 'records-per-packet', d.recordsPerPacket, 1, 5000),
    blackBoxEvery: int(flags, 'black-box-every', d.blackBoxEvery, 0, 1e9),
    blackBoxSize: int(flags, 'black-box-size', d.blackBoxSize, 1, 5000),
    pipeline: int(flags, 'pipeline', d.pipeline, 1, 100_000),
    ackTimeoutMs: int(flags, 'ack-timeout-ms', d.ackTimeoutMs, 10, 3_600_000),
    reconnectAfter: int(flags, 'reconnect-after', d.reconnectAfter, 1, 1000),
    reconnectStormAt: flags['reconnect-storm-at'] === undefined ? null : int(flags, 'reconnect-storm-at', 0, 0, 1e7),
    durationS,
    packets,
    rampMs: int(flags, 'ramp-ms', d.rampMs, 0, 3_600_000),
    seed: int(flags, 'seed', d.seed, 0, 2 ** 32 - 1),
    codec,
    imeiBase: int(flags, 'imei-base', d.imeiBase, 100_000_000_000_000, 999_999_999_999_999),
    drainTimeoutMs: int(flags, 'drain-timeout-ms', d.drainTimeoutMs, 0, 3_600_000),
  };
  return validateOptions(options);
}

/** Cross-field checks, for options built in code (bench, tests) as well as from flags. */
export function validateOptions(o: SimulationOptions): SimulationOptions {
  if (o.imeiBase + o.devices - 1 > 999_999_999_999_999) throw new OptionError('--imei-base + --devices exceeds 15 digits');
  const teltonika = o.mix['teltonika-tcp'] + o.mix['teltonika-udp'] > 0;
  const biggest = Math.max(o.recordsPerPacket, o.blackBoxEvery > 0 ? o.blackBoxSize : 0);
  if (teltonika && biggest > 255) throw new OptionError(`a Teltonika packet holds at most 255 records (§3 N1 is a u8); got ${biggest}`);
  if (o.durationS === null && o.packets === null) throw new OptionError('give --duration or --packets');
  return o;
}

/** Splits `devices` into kinds by the mix (largest remainder, so the counts add up exactly). */
export function devicesPerKind(devices: number, mix: SimulationOptions['mix']): { [K in DeviceKind]: number } {
  const exact = DEVICE_KINDS.map((k) => (devices * mix[k]) / 100);
  const counts = exact.map(Math.floor);
  let left = devices - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((v, i) => ({ i, r: v - Math.floor(v) })).sort((a, b) => b.r - a.r);
  for (let j = 0; left > 0; j++, left--) counts[order[j % order.length].i]++;
  return Object.fromEntries(DEVICE_KINDS.map((k, i) => [k, counts[i]])) as { [K in DeviceKind]: number };
}
