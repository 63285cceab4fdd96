/**
 * One validated configuration for every command, from (highest first) command-line flags,
 * environment variables and documented defaults. The table below is the single source: `--help`
 * and docs/configuration.md are generated from it, and `loadConfig` validates against it.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { ProviderRequisites } from '../api/documents/requisites.ts';
import { API_KEY_PATTERN } from '../api/api-keys.ts';
import { parseAllowList } from '../billing/webhook-targets.ts';
import { type FlagSpec, valueFlags } from './args.ts';

interface Option {
  readonly env: string;
  readonly flag: string;
  readonly default: string;
  readonly schema: TSchema;
  readonly help: string;
  /** A listening port (`port()` below): a busy one is reported by its flag. */
  readonly port?: true;
}

const portSchema = Type.Union([Type.Literal('off'), Type.Integer({ minimum: 0, maximum: 65535 })]);
const port = (help: string, def: string) => ({
  port: true as const,
  default: def,
  schema: portSchema,
  help: `${help} ("off" disables; 0 picks a free port)`,
});
const int = (min: number, max: number) => Type.Integer({ minimum: min, maximum: max });

const table = {
  store: { env: 'FLEETMETER_STORE', flag: 'store', default: 'chdb', schema: Type.Union([Type.Literal('chdb'), Type.Literal('server')]), help: 'storage backend: chdb (embedded, no server) or server (ClickHouse over HTTP); server is the default when CLICKHOUSE_URL is set' },
  dataDir: { env: 'FLEETMETER_DATA_DIR', flag: 'data-dir', default: './data', schema: Type.String({ minLength: 1 }), help: 'chDB data directory' },
  clickhouseUrl: { env: 'CLICKHOUSE_URL', flag: 'clickhouse-url', default: '', schema: Type.String(), help: 'ClickHouse server URL, e.g. http://127.0.0.1:8123' },
  clickhouseUser: { env: 'CLICKHOUSE_USER', flag: 'clickhouse-user', default: 'default', schema: Type.String(), help: 'ClickHouse user' },
  clickhousePassword: { env: 'CLICKHOUSE_PASSWORD', flag: 'clickhouse-password', default: '', schema: Type.String(), help: 'ClickHouse password' },
  database: { env: 'CLICKHOUSE_DATABASE', flag: 'database', default: 'fleetmeter', schema: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), help: 'database (created if missing), on either backend' },
  host: { env: 'FLEETMETER_HOST', flag: 'host', default: '0.0.0.0', schema: Type.String({ minLength: 1 }), help: 'address the device listeners bind to' },
  teltonikaTcp: { ...port('Teltonika TCP port', '5027'), env: 'FLEETMETER_TELTONIKA_TCP_PORT', flag: 'teltonika-tcp-port' },
  teltonikaUdp: { ...port('Teltonika UDP port', '5027'), env: 'FLEETMETER_TELTONIKA_UDP_PORT', flag: 'teltonika-udp-port' },
  wialonTcp: { ...port('Wialon IPS TCP port', '20332'), env: 'FLEETMETER_WIALON_TCP_PORT', flag: 'wialon-tcp-port' },
  wialonUdp: { ...port('Wialon IPS UDP port', '20332'), env: 'FLEETMETER_WIALON_UDP_PORT', flag: 'wialon-udp-port' },
  mqttPort: { ...port('MQTT broker port (embedded aedes, MQTT 3.1.1; client id = device id)', '1883'), env: 'FLEETMETER_MQTT_PORT', flag: 'mqtt-port' },
  mqttTlsPort: { ...port('MQTT over TLS port (needs --mqtt-tls-cert and --mqtt-tls-key)', 'off'), env: 'FLEETMETER_MQTT_TLS_PORT', flag: 'mqtt-tls-port' },
  mqttTlsCert: { env: 'FLEETMETER_MQTT_TLS_CERT', flag: 'mqtt-tls-cert', default: '', schema: Type.String(), help: 'PEM certificate (chain) file for MQTT over TLS' },
  mqttTlsKey: { env: 'FLEETMETER_MQTT_TLS_KEY', flag: 'mqtt-tls-key', default: '', schema: Type.String(), help: 'PEM private key file for MQTT over TLS' },
  mqttWsPort: { ...port('MQTT over WebSocket port', 'off'), env: 'FLEETMETER_MQTT_WS_PORT', flag: 'mqtt-ws-port' },
  mqttTopicPrefix: { env: 'FLEETMETER_MQTT_TOPIC_PREFIX', flag: 'mqtt-topic-prefix', default: 'fleetmeter', schema: Type.String({ pattern: '^[^$/#+\\s][^/#+\\s]*(/[^/#+\\s]+)*$' }), help: 'first topic level(s) of every device topic: PREFIX/DEVICE_ID/telemetry (or …/telemetry/json, /protobuf, /avl), …/commands, …/responses' },
  mqttBridgeUrl: { env: 'FLEETMETER_MQTT_BRIDGE_URL', flag: 'mqtt-bridge-url', default: '', schema: Type.Union([Type.Literal(''), Type.String({ pattern: '^(mqtts?|wss?|tcp|tls)://' })]), help: 'external broker to take telemetry from, e.g. mqtt://broker:1883 (empty: no bridge)' },
  mqttBridgeTopic: { env: 'FLEETMETER_MQTT_BRIDGE_TOPIC', flag: 'mqtt-bridge-topic', default: '', schema: Type.String(), help: 'bridge topic filter (empty: PREFIX/+/telemetry/#), subscribed at QoS 1' },
  mqttBridgeGroup: { env: 'FLEETMETER_MQTT_BRIDGE_GROUP', flag: 'mqtt-bridge-group', default: '', schema: Type.String({ pattern: '^[^/#+\\s]*$' }), help: 'shared-subscription group: subscribe as $share/GROUP/FILTER so gateway instances split the load (empty: a plain subscription)' },
  mqttBridgeClientId: { env: 'FLEETMETER_MQTT_BRIDGE_CLIENT_ID', flag: 'mqtt-bridge-client-id', default: '', schema: Type.String(), help: 'bridge client id, fixed so the broker keeps the persistent session (empty: fleetmeter-HOSTNAME; extra connections add -1, -2, …)' },
  mqttBridgeUsername: { env: 'FLEETMETER_MQTT_BRIDGE_USERNAME', flag: 'mqtt-bridge-username', default: '', schema: Type.String(), help: 'bridge username on the external broker' },
  mqttBridgePassword: { env: 'FLEETMETER_MQTT_BRIDGE_PASSWORD', flag: 'mqtt-bridge-password', default: '', schema: Type.String(), help: 'bridge password on the external broker' },
  mqttBridgeConnections: { env: 'FLEETMETER_MQTT_BRIDGE_CONNECTIONS', flag: 'mqtt-bridge-connections', default: '1', schema: int(1, 64), help: 'bridge connections; each carries one message per commit, so more need a shared group' },
  mqttBridgeVersion: { env: 'FLEETMETER_MQTT_BRIDGE_VERSION', flag: 'mqtt-bridge-version', default: '5', schema: Type.Union([Type.Literal(5), Type.Literal(4)]), help: 'MQTT version of the bridge: 5 (reason codes for refused messages) or 4 (3.1.1)' },
  adminHost: { env: 'FLEETMETER_ADMIN_HOST', flag: 'admin-host', default: '127.0.0.1', schema: Type.String({ minLength: 1 }), help: 'address of the admin listener (/metrics, /health)' },
  adminPort: { ...port('admin port: /metrics (Prometheus), /health, /ready, /commands/<device> (send: POST; journal: GET)', '9464'), env: 'FLEETMETER_ADMIN_PORT', flag: 'admin-port' },
  apiHost: { env: 'FLEETMETER_API_HOST', flag: 'api-host', default: '0.0.0.0', schema: Type.String({ minLength: 1 }), help: 'address the REST API binds to' },
  apiPort: { ...port('REST API port: /v1 (API keys), /openapi.json, /docs, /health, /ready', '8080'), env: 'FLEETMETER_API_PORT', flag: 'api-port' },
  bootstrapApiKey: { env: 'FLEETMETER_BOOTSTRAP_API_KEY', flag: 'bootstrap-api-key', default: '', schema: Type.Union([Type.Literal(''), Type.String({ pattern: API_KEY_PATTERN })]), help: 'an API key (fmk_…; `fleetmeter apikey generate` prints a fresh one) that serve makes sure exists, with scope admin, at start: the first key while serve holds the data dir. Stored hashed; a revoked one stays revoked. Prefer the environment variable to the flag (process lists show flags)' },
  unknownDevices: { env: 'FLEETMETER_UNKNOWN_DEVICES', flag: 'unknown-devices', default: 'accept', schema: Type.Union([Type.Literal('accept'), Type.Literal('reject')]), help: 'unregistered devices: accept (store and list as discovered) or reject (Teltonika 00, Wialon #AL#0)' },
  idleTimeoutMs: { env: 'FLEETMETER_IDLE_TIMEOUT_MS', flag: 'idle-timeout-ms', default: '300000', schema: int(1000, 86_400_000), help: 'close a TCP connection silent for this long' },
  maxFrameBytes: { env: 'FLEETMETER_MAX_FRAME_BYTES', flag: 'max-frame-bytes', default: '65536', schema: int(256, 16 * 1024 * 1024), help: 'largest frame/datagram accepted (bytes); larger is a protocol error' },
  maxConnections: { env: 'FLEETMETER_MAX_CONNECTIONS', flag: 'max-connections', default: '50000', schema: int(1, 1_000_000), help: 'concurrent TCP connections per listener' },
  connectionsPerAddress: { env: 'FLEETMETER_CONNECTIONS_PER_ADDRESS_PER_SECOND', flag: 'connections-per-address', default: '100', schema: int(0, 1_000_000), help: 'new TCP connections per second from one source address (0 = unlimited)' },
  maxConnectionsPerAddress: { env: 'FLEETMETER_MAX_CONNECTIONS_PER_ADDRESS', flag: 'max-connections-per-address', default: '1000', schema: int(0, 1_000_000), help: 'open TCP (and MQTT) connections from one source address per listener (0 = unlimited); raise it when many trackers reach you through one carrier NAT address' },
  maxInFlightPerConnection: { env: 'FLEETMETER_MAX_IN_FLIGHT_PER_CONNECTION', flag: 'max-in-flight-per-connection', default: '4096', schema: int(1, 1_000_000), help: 'uncommitted frames per connection before its socket is paused' },
  batchRecords: { env: 'FLEETMETER_BATCH_RECORDS', flag: 'batch-records', default: '20000', schema: int(1, 1_000_000), help: 'cut an insert batch at this many records' },
  batchDelayMs: { env: 'FLEETMETER_BATCH_DELAY_MS', flag: 'batch-delay-ms', default: '50', schema: int(0, 60_000), help: 'cut an insert batch this long after its first record' },
  batchEagerRecords: { env: 'FLEETMETER_BATCH_EAGER_RECORDS', flag: 'batch-eager-records', default: '1000', schema: int(1, 1_000_000), help: 'cut an insert batch at once, without waiting for the delay, when it holds this many records and an insert slot is free' },
  minBatchIntervalMs: { env: 'FLEETMETER_MIN_BATCH_INTERVAL_MS', flag: 'min-batch-interval-ms', default: '250', schema: int(0, 60_000), help: 'cut insert batches no closer than this apart unless full: bounds inserts (new ClickHouse parts, later merged) per second under load' },
  maxQueuedRecords: { env: 'FLEETMETER_MAX_QUEUED_RECORDS', flag: 'max-queued-records', default: '200000', schema: int(1, 100_000_000), help: 'records waiting for commit before sockets are paused (memory bound)' },
  commitTimeoutMs: { env: 'FLEETMETER_COMMIT_TIMEOUT_MS', flag: 'commit-timeout-ms', default: '15000', schema: int(100, 600_000), help: 'retry a failed or hung insert for this long; then the devices are not acked and resend. Also bounds every ClickHouse server request (HTTP timeout)' },
  shutdownTimeoutMs: { env: 'FLEETMETER_SHUTDOWN_TIMEOUT_MS', flag: 'shutdown-timeout-ms', default: '8000', schema: int(100, 600_000), help: 'on SIGTERM/SIGINT, commit and ack what arrived for at most this long; what is not committed by then is not acked (the devices resend)' },
  registryRefreshMs: { env: 'FLEETMETER_REGISTRY_REFRESH_MS', flag: 'registry-refresh-ms', default: '1000', schema: int(50, 600_000), help: 'how often the device registry cache reloads changes from ClickHouse' },
  jobs: { env: 'FLEETMETER_JOBS', flag: 'jobs', default: 'on', schema: Type.Union([Type.Literal('on'), Type.Literal('off')]), help: 'run scheduled jobs in serve, with the API on or off (period close, webhook and e-mail dispatch, device checks, suspension); safe on every instance: a lease in ClickHouse lets one run each job at a time' },
  jobTickMs: { env: 'FLEETMETER_JOB_TICK_MS', flag: 'job-tick-ms', default: '1000', schema: int(100, 60_000), help: 'how often the scheduler looks for due jobs' },
  jobLeaseMs: { env: 'FLEETMETER_JOB_LEASE_MS', flag: 'job-lease-ms', default: '60000', schema: int(1000, 3_600_000), help: 'job lease time to live: a crashed instance\'s job is taken over this long after its last renewal' },
  claimSettleMs: { env: 'FLEETMETER_CLAIM_SETTLE_MS', flag: 'claim-settle-ms', default: '250', schema: int(10, 60_000), help: 'claims (creates that must be unique, job leases) wait this long between writing a claim and reading it back: must exceed ClickHouse commit latency plus clock skew between instances (docs/api.md, How uniqueness is decided)' },
  claimStaleMs: { env: 'FLEETMETER_CLAIM_STALE_MS', flag: 'claim-stale-ms', default: '60000', schema: int(1000, 3_600_000), help: 'a create whose claim is this old with nothing stored died between claim and write: the same body sent again completes it (must exceed the longest write)' },
  periodCloseDay: { env: 'FLEETMETER_PERIOD_CLOSE_DAY', flag: 'period-close-day', default: '1', schema: int(1, 28), help: 'day of the month (each account\'s local time) from which the previous month is closed automatically' },
  silentHours: { env: 'FLEETMETER_SILENT_HOURS', flag: 'silent-hours', default: '24', schema: int(1, 8760), help: 'device.silent is published for a billed device not heard from for this many hours' },
  eventSettleMs: { env: 'FLEETMETER_EVENT_SETTLE_MS', flag: 'event-settle-ms', default: '2000', schema: int(0, 600_000), help: 'billing events reach webhooks, e-mail and the change feed once this old (so one committed late by another instance is not skipped)' },
  webhookTimeoutMs: { env: 'FLEETMETER_WEBHOOK_TIMEOUT_MS', flag: 'webhook-timeout-ms', default: '10000', schema: int(100, 120_000), help: 'a webhook receiver must answer within this long, else the try failed' },
  webhookAllowNetworks: { env: 'FLEETMETER_WEBHOOK_ALLOW_NETWORKS', flag: 'webhook-allow-networks', default: '', schema: Type.String({ pattern: '^[0-9A-Fa-f:./,\\s]*$' }), help: 'CIDRs, comma-separated (e.g. 10.20.0.0/16,fd00:1::/64), where webhook receivers may be although loopback, link-local, private and similar addresses are refused by default (checked on the resolved address at delivery)' },
  retryBaseMs: { env: 'FLEETMETER_RETRY_BASE_MS', flag: 'retry-base-ms', default: '10000', schema: int(100, 86_400_000), help: 'webhook and e-mail retries: first retry after about this long, doubling each time (with jitter)' },
  retryMaxMs: { env: 'FLEETMETER_RETRY_MAX_MS', flag: 'retry-max-ms', default: '3600000', schema: int(1000, 604_800_000), help: 'webhook and e-mail retries: longest wait between tries' },
  retryMaxAttempts: { env: 'FLEETMETER_RETRY_MAX_ATTEMPTS', flag: 'retry-max-attempts', default: '0', schema: int(0, 100_000), help: 'webhook and e-mail retries: give up after this many tries (then replay by hand); 0 = never give up' },
  smtpUrl: { env: 'FLEETMETER_SMTP_URL', flag: 'smtp-url', default: '', schema: Type.Union([Type.Literal(''), Type.String({ pattern: '^smtps?://' })]), help: 'SMTP server as smtp(s)://user:pass@host:port (wins over --smtp-host …); empty with no --smtp-host: e-mail off' },
  smtpHost: { env: 'FLEETMETER_SMTP_HOST', flag: 'smtp-host', default: '', schema: Type.String(), help: 'SMTP server host (empty: e-mail off unless --smtp-url)' },
  smtpPort: { env: 'FLEETMETER_SMTP_PORT', flag: 'smtp-port', default: '587', schema: int(1, 65535), help: 'SMTP server port' },
  smtpSecure: { env: 'FLEETMETER_SMTP_SECURE', flag: 'smtp-secure', default: 'false', schema: Type.Boolean(), help: 'TLS from the start (port 465); false: STARTTLS when the server offers it' },
  smtpUser: { env: 'FLEETMETER_SMTP_USER', flag: 'smtp-user', default: '', schema: Type.String(), help: 'SMTP user (empty: no authentication)' },
  smtpPass: { env: 'FLEETMETER_SMTP_PASS', flag: 'smtp-pass', default: '', schema: Type.String(), help: 'SMTP password' },
  smtpFrom: { env: 'FLEETMETER_SMTP_FROM', flag: 'smtp-from', default: 'fleetmeter@localhost', schema: Type.String({ minLength: 3 }), help: 'From: of statement and warning e-mails' },
  smtpTimeoutMs: { env: 'FLEETMETER_SMTP_TIMEOUT_MS', flag: 'smtp-timeout-ms', default: '30000', schema: int(1000, 600_000), help: 'SMTP connection, greeting and socket timeout' },
  providerFile: {
    env: 'FLEETMETER_PROVIDER_FILE',
    flag: 'provider-file',
    default: '',
    schema: Type.String(),
    help: 'JSON file with the provider\'s requisites printed on invoices and acts: name, inn, kpp, address, bankName, bic, correspondentAccount, settlementAccount, signatoryName, signatoryPosition, accountantName, phone (docs/documents.md); empty: no PDF documents',
  },
  logLevel: { env: 'FLEETMETER_LOG_LEVEL', flag: 'log-level', default: 'info', schema: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')]), help: 'log level (pino)' },
} satisfies Record<string, Option>;

type Table = typeof table;
/** The validated config, typed from the table: a port set to "off" becomes null. */
export type Config = {
  readonly [K in keyof Table]: Static<Table[K]['schema']> extends infer V ? ([Extract<V, 'off'>] extends [never] ? V : Exclude<V, 'off'> | null) : never;
};

export class ConfigError extends Error {}

export const configOptions: readonly (Option & { key: keyof Table })[] = Object.entries(table).map(([key, o]) => ({ key: key as keyof Table, ...o }));

/**
 * Builds the config from flags (`{ 'teltonika-tcp-port': '5027' }`), the environment and defaults.
 * Throws ConfigError naming every invalid setting, with where it came from.
 */
export function loadConfig(flags: { readonly [flag: string]: string | undefined } = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const out: { [key: string]: unknown } = {};
  const problems: string[] = [];
  for (const o of configOptions) {
    const fromFlag = flags[o.flag];
    const fromEnv = env[o.env];
    const raw = fromFlag ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined);
    let text = raw ?? o.default;
    if (o.key === 'store' && raw === undefined && (flags['clickhouse-url'] ?? env.CLICKHOUSE_URL)) text = 'server';
    const value = Value.Convert(o.schema, text);
    if (!Value.Check(o.schema, value)) {
      const source = fromFlag !== undefined ? `--${o.flag}` : raw !== undefined ? o.env : 'default';
      const shown = o.key === 'bootstrapApiKey' ? '(a secret, not shown)' : JSON.stringify(text);
      problems.push(`${o.env} / --${o.flag} = ${shown} (from ${source}): ${o.help}`);
      continue;
    }
    out[o.key] = value === 'off' ? null : value;
  }
  if (out.store === 'server' && !out.clickhouseUrl) problems.push('store=server needs CLICKHOUSE_URL / --clickhouse-url');
  if (out.mqttTlsPort != null && (!out.mqttTlsCert || !out.mqttTlsKey)) problems.push('--mqtt-tls-port needs --mqtt-tls-cert and --mqtt-tls-key (FLEETMETER_MQTT_TLS_CERT, FLEETMETER_MQTT_TLS_KEY)');
  if (typeof out.mqttBridgeConnections === 'number' && out.mqttBridgeConnections > 1 && !out.mqttBridgeGroup) {
    problems.push('--mqtt-bridge-connections above 1 needs --mqtt-bridge-group (FLEETMETER_MQTT_BRIDGE_GROUP): without a shared subscription every connection would get every message');
  }
  if (typeof out.webhookAllowNetworks === 'string') {
    try {
      parseAllowList(out.webhookAllowNetworks);
    } catch (e) {
      problems.push(`FLEETMETER_WEBHOOK_ALLOW_NETWORKS / --webhook-allow-networks: ${(e as Error).message}`);
    }
  }
  if (typeof out.providerFile === 'string' && out.providerFile !== '') {
    try {
      readProviderFile(out.providerFile);
    } catch (e) {
      problems.push(`FLEETMETER_PROVIDER_FILE / --provider-file: ${(e as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return out as unknown as Config;
}

/** The provider's requisites from `--provider-file` (null when none is set); throws naming what is wrong. */
export function readProviderFile(path: string): ProviderRequisites | null {
  if (path === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${path}: ${(e as Error).message}`);
  }
  const errors = [...Value.Errors(ProviderRequisites, value)].slice(0, 5);
  if (errors.length > 0) throw new ConfigError(`${path}: ${errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
  return value as ProviderRequisites;
}

type Key = keyof Table;

/** What every command that opens storage takes (migrate, apikey, reconcile): where the data is, and the log level. */
export const STORAGE_OPTIONS: readonly Key[] = ['store', 'dataDir', 'clickhouseUrl', 'clickhouseUser', 'clickhousePassword', 'database', 'commitTimeoutMs', 'logLevel'];

const selected = (keys?: readonly Key[]) => (keys === undefined ? configOptions : configOptions.filter((o) => keys.includes(o.key)));

/** The options' flags, for strict parsing (cli/args.ts): all of them (serve), or those of `keys`. */
export function configFlags(keys?: readonly Key[]): FlagSpec[] {
  return valueFlags(...selected(keys).map((o) => o.flag));
}

/** The options as a text table for `--help`: all of them, or those of `keys`. */
export function configHelp(keys?: readonly Key[]): string {
  const rows = selected(keys).map((o) => `  --${o.flag.padEnd(30)} ${o.env.padEnd(44)} default ${JSON.stringify(o.default)}\n      ${o.help}`);
  return rows.join('\n');
}

/** The options as a Markdown table (docs/configuration.md). */
export function configMarkdown(): string {
  const rows = configOptions.map((o) => `| \`--${o.flag}\` | \`${o.env}\` | ${o.default === '' ? '(none)' : '`' + o.default + '`'} | ${o.help} |`);
  return ['| flag | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
