/**
 * What the OpenAPI document adds to the route schemas: operation ids, shared components, request
 * examples (those of docs/api.md and docs/billing.md, executed against the live API by
 * test/openapi-lint.test.ts), error responses with the codes each status really carries, the
 * public routes' `security: []`, declared tags and the server. Applied by the OpenAPI plugin
 * (api/plugins/openapi.ts) to the document @fastify/swagger generates; the route schemas that
 * validate requests are not touched.
 */
import { type TSchema } from 'typebox';
import { API_ERROR_STATUS, type ApiErrorCode } from '../errors.ts';
import * as accounts from './accounts.ts';
import * as audit from './audit.ts';
import * as billing from './billing.ts';
import * as common from './common.ts';
import * as devices from './devices.ts';
import * as fleet from './fleet.ts';
import * as reconcile from './reconcile.ts';
import * as records from './records.ts';
import * as statements from './statements.ts';
import * as tariffs from './tariffs.ts';
import * as usage from './usage.ts';
import * as webhooks from './webhooks.ts';

/** Every operation's id, by `METHOD /path` (fastify's `:param` syntax). A route missing here gets a derived id. */
export const OPERATION_IDS: { readonly [route: string]: string } = {
  'GET /health': 'getHealth',
  'GET /ready': 'getReady',
  'GET /metrics': 'getMetrics',
  'GET /v1/accounts': 'listAccounts',
  'POST /v1/accounts': 'createAccount',
  'GET /v1/accounts/:accountId': 'getAccount',
  'PATCH /v1/accounts/:accountId': 'updateAccount',
  'GET /v1/devices': 'listDevices',
  'POST /v1/devices': 'createDevice',
  'GET /v1/devices/:deviceId': 'getDevice',
  'PATCH /v1/devices/:deviceId': 'updateDevice',
  'GET /v1/devices/:deviceId/assignments': 'listDeviceAssignments',
  'POST /v1/devices/:deviceId/assignments': 'assignDevice',
  'GET /v1/discovered-devices': 'listDiscoveredDevices',
  'POST /v1/discovered-devices/:deviceId/register': 'registerDiscoveredDevice',
  'GET /v1/tariffs': 'listTariffs',
  'POST /v1/tariffs': 'createTariff',
  'GET /v1/tariffs/:tariffId': 'getTariff',
  'POST /v1/tariffs/:tariffId/versions': 'createTariffVersion',
  'GET /v1/tariffs/:tariffId/versions/:version': 'getTariffVersion',
  'GET /v1/accounts/:accountId/tariff-assignments': 'listTariffAssignments',
  'POST /v1/accounts/:accountId/tariff-assignments': 'assignTariff',
  'GET /v1/devices/:deviceId/usage': 'getDeviceUsage',
  'GET /v1/accounts/:accountId/usage': 'getAccountUsage',
  'GET /v1/accounts/:accountId/statements': 'listAccountStatements',
  'GET /v1/accounts/:accountId/statements/:period': 'getStatement',
  'POST /v1/accounts/:accountId/statements/:period/close': 'closeStatement',
  'GET /v1/statements': 'listBillingRun',
  'GET /v1/fleet/summary': 'getFleetSummary',
  'GET /v1/fleet/devices': 'listFleetDevices',
  'GET /v1/devices/:deviceId/records': 'listDeviceRecords',
  'POST /v1/accounts/:accountId/reconcile': 'reconcileAccount',
  'GET /v1/audit': 'listAudit',
  'GET /v1/api-keys': 'listApiKeys',
  'DELETE /v1/api-keys/:keyId': 'revokeApiKey',
  'POST /v1/accounts/:accountId/payments': 'createPayment',
  'GET /v1/accounts/:accountId/payments': 'listPayments',
  'GET /v1/accounts/:accountId/payments/:paymentId': 'getPayment',
  'POST /v1/accounts/:accountId/payments/:paymentId/reversal': 'reversePayment',
  'GET /v1/accounts/:accountId/balance': 'getBalance',
  'GET /v1/accounts/:accountId/suspension': 'getSuspension',
  'GET /v1/accounts/:accountId/suspension-decisions': 'listSuspensionDecisions',
  'POST /v1/accounts/:accountId/suspension-override': 'setSuspensionOverride',
  'DELETE /v1/accounts/:accountId/suspension-override': 'clearSuspensionOverride',
  'POST /v1/billing/suspension/evaluate': 'evaluateSuspension',
  'GET /v1/webhooks': 'listWebhooks',
  'POST /v1/webhooks': 'createWebhook',
  'GET /v1/webhooks/:webhookId': 'getWebhook',
  'PATCH /v1/webhooks/:webhookId': 'updateWebhook',
  'DELETE /v1/webhooks/:webhookId': 'deleteWebhook',
  'GET /v1/webhooks/:webhookId/deliveries': 'listWebhookDeliveries',
  'GET /v1/webhooks/:webhookId/deliveries/:eventId': 'getWebhookDelivery',
  'POST /v1/webhooks/:webhookId/deliveries/:eventId/replay': 'replayWebhookDelivery',
  'POST /v1/webhooks/:webhookId/replay': 'replayWebhookEvents',
  'GET /v1/changes': 'listChanges',
  'GET /v1/jobs': 'listJobs',
  'GET /v1/jobs/:name/runs': 'listJobRuns',
  'POST /v1/jobs/:name/run': 'runJob',
};

/** `getV1AccountsByAccountId…`: for a route not in the table (unique: method and path). */
export function derivedOperationId(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s.startsWith(':') ? `by-${s.slice(1)}` : s))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '');
  return method.toLowerCase() + words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

const TARIFF_DEFINITION = { name: 'Почасовой', unit: 'hour', minActiveMinutes: 1, price: { model: 'per-unit', unitPrice: '12.50' }, currency: 'RUB', vatRate: '22' };

/** Request body examples by operation id: the documented requests (docs/api.md, docs/billing.md), in an order that makes each succeed on an empty database. */
export const REQUEST_EXAMPLES: { readonly [operationId: string]: { readonly summary: string; readonly value: unknown } } = {
  createAccount: {
    summary: 'an account keyed by its 1C counterparty code',
    value: { id: 'acme', externalId: '7701234567', name: 'ООО «Ромашка»', timeZone: 'Europe/Moscow', currency: 'RUB', billing: { paymentTermDays: 10, invoiceEmail: 'buh@romashka.example', contractRef: 'Д-17/2024' } },
  },
  updateAccount: { summary: 'new payment terms and grace days', value: { billing: { paymentTermDays: 14, graceDays: 10 } } },
  createTariff: { summary: 'an hourly tariff, version 1', value: { id: 'hourly', effectiveFrom: '2024-01-01', definition: TARIFF_DEFINITION } },
  createTariffVersion: { summary: 'a new price from a date', value: { effectiveFrom: '2024-06-16', definition: { ...TARIFF_DEFINITION, price: { model: 'per-unit', unitPrice: '14.00' } } } },
  assignTariff: { summary: 'the account on a tariff from a date', value: { tariffId: 'hourly', effectiveFrom: '2024-06-01', deviceId: null } },
  createDevice: { summary: 'a Teltonika tracker on an account', value: { id: '352093086403999', protocol: 'teltonika', account: { accountId: 'acme', effectiveFrom: '2024-06-01' } } },
  updateDevice: { summary: 'a Wialon IPS login password', value: { password: 'p4ssw0rd' } },
  assignDevice: { summary: 'move the device to an account from a date', value: { accountId: 'acme', effectiveFrom: '2024-06-20' } },
  registerDiscoveredDevice: { summary: 'register a discovered tracker onto an account', value: { accountId: 'acme', effectiveFrom: '2024-06-20' } },
  reconcileAccount: { summary: 'check a month against the raw records', value: { period: '2024-06' } },
  createPayment: { summary: 'a bank payment, keyed by the 1C document', value: { amount: '12345.67', currency: 'RUB', date: '2026-11-05', externalId: 'п/п 117 от 05.11.2026' } },
  reversePayment: { summary: 'reverse a payment posted in error', value: { reason: 'returned by the bank' } },
  setSuspensionOverride: { summary: 'keep the account active while it pays', value: { state: 'active', reason: 'payment promised by letter', expiresAt: '2099-12-01T00:00:00Z' } },
  evaluateSuspension: { summary: 'one account now', value: { accountId: 'acme' } },
  createWebhook: { summary: 'payments and suspensions to the billing system', value: { url: 'https://erp.example/fleetmeter/events', secret: 'c2VjcmV0LXNpZ25pbmcta2V5', types: ['payment.received', 'account.suspended'] } },
  updateWebhook: { summary: 'pause delivery', value: { active: false } },
  replayWebhookEvents: { summary: 'every event from the first', value: { after: null, limit: 100 } },
};

/** Path parameter examples, by name: what the request examples create. */
export const PARAMETER_EXAMPLES: { readonly [name: string]: unknown } = {
  accountId: 'acme',
  deviceId: '352093086403999',
  tariffId: 'hourly',
  version: 1,
  period: '2024-06',
  paymentId: 'pay_0123456789abcdef01234567',
  keyId: '85302323f9bd53a7',
  webhookId: 'wh_0123456789abcdef',
  eventId: 'evt_0123456789abcdef0123456789abcdef',
  name: 'period-close',
};

const ERROR_TITLES: { readonly [status: number]: [name: string, description: string] } = {
  400: ['BadRequest', 'invalid request: `details.field` names the field'],
  401: ['Unauthorized', 'no API key, or not a valid one'],
  403: ['Forbidden', 'the API key lacks the scope this route needs'],
  404: ['NotFound', 'unknown id'],
  409: ['Conflict', 'conflicts with the current state (details say with what)'],
  413: ['PayloadTooLarge', 'body over the limit (1 MiB)'],
  415: ['UnsupportedMediaType', 'a body that is not application/json'],
  422: ['IdempotencyMismatch', 'Idempotency-Key reused with a different request'],
  500: ['Internal', 'a bug: the body carries an errorId that is in the server log'],
  503: ['Unavailable', 'storage did not answer: retry later'],
};

const ERROR_EXAMPLES: { readonly [code in ApiErrorCode]: { message: string; details?: unknown; errorId?: string } } = {
  FM_ERR_VALIDATION: { message: 'body.effectiveFrom: must match format "date"', details: { field: 'body.effectiveFrom', problems: [{ field: 'body.effectiveFrom', message: 'must match format "date"' }] } },
  FM_ERR_BAD_BODY: { message: 'the body is not valid JSON' },
  FM_ERR_UNAUTHORIZED: { message: 'an API key is required: Authorization: Bearer fmk_…' },
  FM_ERR_FORBIDDEN: { message: 'this route needs scope write; the key has read', details: { required: 'write', granted: ['read'] } },
  FM_ERR_NOT_FOUND: { message: 'account "acme" not found', details: { resource: 'account', id: 'acme' } },
  FM_ERR_CONFLICT: { message: 'account "acme" already exists' },
  FM_ERR_EFFECTIVE_DATE_CONFLICT: {
    message: 'device 356307042441001: effectiveFrom 2024-03-01 is on or before an existing entry (2024-06-11); send correction: true to rewrite history',
    details: { conflicts: [{ effectiveFrom: '2024-06-11', value: 'south', recordedAt: '2024-06-11T08:12:44.118Z' }] },
  },
  FM_ERR_PAYLOAD_TOO_LARGE: { message: 'the body is larger than 1048576 bytes' },
  FM_ERR_UNSUPPORTED_MEDIA_TYPE: { message: 'send application/json' },
  FM_ERR_IDEMPOTENCY_MISMATCH: { message: 'this Idempotency-Key was used for a different request' },
  FM_ERR_INTERNAL: { message: 'internal error', errorId: '3f1e0c9a-7d0b-4c55-9a57-2b1f0c8e6d21' },
  FM_ERR_UNAVAILABLE: { message: 'storage did not answer; retry later', errorId: '9b2d7f10-5e1c-4f3a-8c0d-6a4e2b9f1c37' },
};

const codesOf = (status: number) => (Object.entries(API_ERROR_STATUS) as [ApiErrorCode, number][]).filter(([, s]) => s === status).map(([c]) => c);

/** components.responses: one per error status, its schema the shared Error with `code` narrowed to what that status carries, an example per code. */
function errorResponses(): { [name: string]: unknown } {
  const out: { [name: string]: unknown } = {};
  for (const [status, [name, description]] of Object.entries(ERROR_TITLES)) {
    const codes = codesOf(Number(status));
    out[name] = {
      description,
      content: {
        'application/json': {
          schema: { allOf: [{ $ref: '#/components/schemas/Error' }, { type: 'object', properties: { statusCode: { type: 'integer', enum: [Number(status)] }, code: { type: 'string', enum: codes } } }] },
          examples: Object.fromEntries(codes.map((c) => [c, { value: { statusCode: Number(status), code: c, ...ERROR_EXAMPLES[c] } }])),
        },
      },
    };
  }
  return out;
}

/**
 * Named schemas for components.schemas: every object schema exported by api/schemas/* (queries and
 * path parameters excepted: OpenAPI lists those as parameters), under its export name; ErrorBody as Error.
 */
export function componentSchemas(): { [name: string]: TSchema } {
  const out: { [name: string]: TSchema } = {};
  const modules = [common, accounts, devices, tariffs, usage, statements, fleet, records, reconcile, billing, webhooks, audit];
  for (const m of modules) {
    for (const [name, value] of Object.entries(m)) {
      if (!/^[A-Z]/.test(name) || /(Query|Params)$/.test(name)) continue;
      const s = value as { type?: unknown; properties?: unknown } | null;
      if (typeof s !== 'object' || s === null || s.type !== 'object' || typeof s.properties !== 'object') continue;
      const key = name === 'ErrorBody' ? 'Error' : name;
      if (key in out && out[key] !== value) throw new Error(`two schemas named ${key}`);
      out[key] = value as TSchema;
    }
  }
  return out;
}

type Json = { [k: string]: unknown };
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Canonical text of a schema node (keys sorted), to find where a component was inlined. */
function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Replaces every node (below the root) equal to a named component with a $ref to it. */
function hoist(node: unknown, byCanon: Map<string, string>, isRoot: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => hoist(n, byCanon, false));
  if (!isObject(node)) return node;
  if (!isRoot && (node.type === 'object' || 'properties' in node)) {
    const name = byCanon.get(canon(node));
    if (name !== undefined) return { $ref: `#/components/schemas/${name}` };
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'example' || k === 'examples' ? v : hoist(v, byCanon, false);
  return out;
}

const ERROR_REF = (status: string) => (ERROR_TITLES[Number(status)] ? { $ref: `#/components/responses/${ERROR_TITLES[Number(status)][0]}` } : null);

const SUCCESS_TEXT: { readonly [status: string]: string } = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content' };

export interface DocumentFinish {
  /** Routes whose scope is public (no key): `security: []`. */
  readonly publicPaths: ReadonlySet<string>;
}

/**
 * The last pass over the generated document: shared components ($ref), error responses by
 * reference, operation ids and request examples, `security: []` on public routes, path
 * parameter examples.
 */
export function finishDocument(doc: Json, o: DocumentFinish): Json {
  const components = (doc.components ??= {}) as Json;
  const schemas = (components.schemas ??= {}) as { [name: string]: unknown };
  const byCanon = new Map<string, string>();
  // Largest first, so a component is referenced whole rather than through its parts.
  for (const [name, s] of Object.entries(schemas).sort((a, b) => canon(b[1]).length - canon(a[1]).length)) {
    const c = canon(s);
    if (!byCanon.has(c)) byCanon.set(c, name);
  }
  for (const name of Object.keys(schemas)) schemas[name] = hoist(schemas[name], byCanon, true);
  components.responses = { ...(components.responses as Json | undefined), ...errorResponses() };

  const paths = doc.paths as { [path: string]: { [method: string]: Json } };
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!isObject(op) || !('responses' in op)) continue;
      const route = `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`;
      op.operationId = OPERATION_IDS[route] ?? derivedOperationId(method, path.replace(/\{([^}]+)\}/g, ':$1'));
      const responses = op.responses as Json;
      if (o.publicPaths.has(path)) op.security = [];
      else for (const status of ['401', '403']) responses[status] ??= {}; // every keyed route can answer these
      for (const status of Object.keys(responses)) {
        const ref = Number(status) >= 400 ? ERROR_REF(status) : null;
        const r = (ref ?? hoist(responses[status], byCanon, false)) as Json;
        if (r.description === 'Default Response') r.description = SUCCESS_TEXT[status] ?? 'success';
        responses[status] = r;
      }
      if (op.requestBody !== undefined) {
        const body = hoist(op.requestBody, byCanon, false) as Json;
        const example = REQUEST_EXAMPLES[op.operationId as string];
        const media = (body.content as Json | undefined)?.['application/json'] as Json | undefined;
        if (example !== undefined && media !== undefined) media.examples = { documented: example };
        op.requestBody = body;
      }
      for (const p of (op.parameters as Json[] | undefined) ?? []) {
        if (p.in === 'path' && p.name as string in PARAMETER_EXAMPLES) p.example = PARAMETER_EXAMPLES[p.name as string];
        p.schema = hoist(p.schema, byCanon, false);
      }
    }
  }
  return doc;
}
