/**
 * The staff console at /console/: server-rendered pages on the API's own services (the figures
 * the REST API returns, computed by the same code), signed in with an API key kept server-side.
 *
 * - Sign-in: a form POST of the key; the browser gets only an opaque random session id
 *   (`fm_console`: httpOnly, SameSite=Strict, Path=/console, Secure behind https). Sessions live in
 *   memory (sessions.ts): a restart signs everyone out.
 * - Every page and action declares its scope like any API route (`config.scope`) with
 *   `config.session: true`: the auth plugin checks the session's key with the same check — a
 *   revoked key ends the session, a read key is refused a write (403, an HTML page saying so).
 * - CSRF: SameSite=Strict, a same-origin check (Origin/Referer), and the session's token in every
 *   form, checked on every POST before the body is validated.
 * - Writes go through the services the REST routes call, validated by the REST routes' schemas,
 *   audited under the session's key.
 * - Downloads are the REST API's own answers: the console calls `GET /v1/…/statements/{period}`
 *   in-process (inject) with the session's key and passes the bytes on.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { scopeAllows } from '../api-keys.ts';
import { ApiError, fromRatingError } from '../errors.ts';
import { plugin } from '../plugin.ts';
import { actorOf } from '../plugins/auth.ts';
import { validationProblems } from '../plugins/errors.ts';
import { AccountParams } from '../schemas/accounts.ts';
import { PaymentCreate } from '../schemas/billing.ts';
import { DeviceParams, DiscoveredRegister } from '../schemas/devices.ts';
import { StatementParams } from '../schemas/statements.ts';
import { DEFAULT_THRESHOLDS } from '../services/fleet.ts';
import { localToday, periodText } from '../services/period.ts';
import { monthOf } from '../../rating/time.ts';
import { CSS, JS } from './assets.ts';
import type { Lang } from './html.ts';
import { word } from './i18n.ts';
import { FLEET_LISTS, type FleetList, type PageContext, accountPage, accountsPage, devicePage, discoveredPage, errorPage, fleetPage, loginPage } from './pages.ts';
import { type ConsoleSession, ConsoleSessions, type SessionOptions } from './sessions.ts';

export const SESSION_COOKIE = 'fm_console';
const LANG_COOKIE = 'fm_lang';
const HTML_TYPE = 'text/html; charset=utf-8';
/** Most rows a fleet list shows (the counts above it are always complete). */
const FLEET_LIST_MAX = 500;
const CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function cookies(req: FastifyRequest): Map<string, string> {
  const out = new Map<string, string>();
  const h = req.headers.cookie;
  if (typeof h !== 'string') return out;
  for (const part of h.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

const isHttps = (req: FastifyRequest) => req.protocol === 'https' || String(req.headers['x-forwarded-proto'] ?? '').split(',')[0].trim() === 'https';

function sessionCookie(req: FastifyRequest, value: string, maxAge?: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Strict${isHttps(req) ? '; Secure' : ''}${maxAge === undefined ? '' : `; Max-Age=${maxAge}`}`;
}

/**
 * A POST must come from a page of this origin: Origin (or Referer) naming this host — the Host
 * header, or X-Forwarded-Host from a reverse proxy that rewrites Host (a cross-site form cannot set
 * either). Absent both Origin and Referer (old clients), SameSite and the token decide.
 */
function sameOrigin(req: FastifyRequest): boolean {
  const from = req.headers.origin ?? req.headers.referer;
  if (typeof from !== 'string' || from === 'null') return from === undefined;
  const forwarded = req.headers['x-forwarded-host'];
  const hosts = [req.headers.host, ...(typeof forwarded === 'string' ? forwarded.split(',').map((h) => h.trim()) : [])];
  try {
    return hosts.includes(new URL(from).host);
  } catch {
    return false;
  }
}

/** Where a POST's result is shown: the page its form is on. */
function backOf(url: string): string {
  const path = url.split('?')[0];
  const m = /^\/console\/accounts\/([^/]+)\//.exec(path);
  if (m !== null) return `/console/accounts/${m[1]}`;
  if (path.startsWith('/console/discovered/')) return '/console/discovered';
  return '/console/';
}

export interface ConsoleOptions {
  readonly sessions?: SessionOptions;
}

export const consolePlugin = plugin<ConsoleOptions>(
  async (fastify: FastifyInstance, opts) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    const sessions = new ConsoleSessions(s.now, opts.sessions);
    const sessionOf = new WeakMap<FastifyRequest, ConsoleSession>();
    const langOf = new WeakMap<FastifyRequest, Lang>();

    const ctx = (req: FastifyRequest): PageContext => {
      const sess = sessionOf.get(req) ?? null;
      const lang = langOf.get(req) ?? 'ru';
      const url = new URL(req.url, 'http://x');
      url.searchParams.delete('lang');
      const flash = sess?.flash ?? null;
      if (sess !== null && req.method === 'GET') sess.flash = null;
      return {
        lang,
        path: url.pathname + url.search,
        now: s.now(),
        session: sess === null ? null : { keyId: sess.keyId, keyName: sess.keyName, canWrite: scopeAllows(sess.scopes, 'write'), csrf: sess.csrf },
        flash,
      };
    };
    const page = (reply: FastifyReply, body: string, code = 200) => reply.code(code).type(HTML_TYPE).send(body);
    const done = (req: FastifyRequest, reply: FastifyReply, text: string, to = backOf(req.url)) => {
      const sess = sessionOf.get(req);
      if (sess !== undefined) sess.flash = { kind: 'ok', text };
      return reply.code(303).header('location', to).send();
    };

    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, next) => {
      next(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    // Session and language: before the route's scope check (route hooks run after these).
    app.addHook('onRequest', (req, reply, next) => {
      const jar = cookies(req);
      const sess = sessions.get(jar.get(SESSION_COOKIE));
      if (sess !== null) {
        sessionOf.set(req, sess);
        req.sessionKey = sess.key;
      }
      const q = /[?&]lang=(ru|en)\b/.exec(req.url)?.[1] as Lang | undefined;
      if (q !== undefined) reply.header('set-cookie', `${LANG_COOKIE}=${q}; Path=/console; SameSite=Strict; Max-Age=31536000`);
      const c = q ?? jar.get(LANG_COOKIE);
      langOf.set(req, c === 'en' ? 'en' : 'ru');
      reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY').header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin');
      // Balances and payments are not for shared caches or the back button of a signed-out browser (assets override this).
      reply.header('cache-control', 'no-store');
      next();
    });

    // CSRF: same origin, and the session's token; then the token and empty optional fields leave the body.
    app.addHook('preValidation', (req, _reply, next) => {
      if (req.method !== 'POST') return next();
      if (!sameOrigin(req)) return next(new ApiError('FM_ERR_FORBIDDEN', 'cross-origin form refused', { reason: 'csrf' }));
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (req.routeOptions.url !== '/console/login') {
        const sess = sessionOf.get(req);
        if (sess === undefined || !ConsoleSessions.csrfMatches(sess, body._csrf)) return next(new ApiError('FM_ERR_FORBIDDEN', 'the form token does not match this session', { reason: 'csrf' }));
      }
      delete body._csrf;
      for (const [k, v] of Object.entries(body)) if (v === '') delete body[k];
      // Amounts typed the Russian way: "12 345,67" is 12345.67.
      if (typeof body.amount === 'string') body.amount = body.amount.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.');
      next();
    });

    app.setErrorHandler(async (raw: unknown, req: FastifyRequest, reply: FastifyReply) => {
      const err = fromRatingError(raw);
      const c = ctx(req);
      const w = (k: Parameters<typeof word>[1]) => word(c.lang, k);
      let status: number;
      let message: string;
      if (err instanceof ApiError) {
        if (err.code === 'FM_ERR_UNAUTHORIZED') {
          const sess = sessionOf.get(req);
          if (sess !== undefined) sessions.end(sess.id);
          return reply.code(303).header('set-cookie', sessionCookie(req, '', 0)).header('location', '/console/login').send();
        }
        if (err.code === 'FM_ERR_FORBIDDEN') {
          const csrf = err.details?.reason === 'csrf';
          return page(reply, errorPage(c, w(csrf ? 'csrf_title' : 'forbidden_title'), w(csrf ? 'csrf_text' : 'needs_write'), backOf(req.url)), 403);
        }
        status = err.statusCode;
        message = err.message;
      } else {
        const e = raw as { statusCode?: number; validation?: Parameters<typeof validationProblems>[1]; validationContext?: string; message?: string };
        if (Array.isArray(e.validation)) {
          const p = validationProblems(e.validationContext ?? 'request', e.validation)[0];
          status = 400;
          message = p === undefined ? 'invalid request' : `${p.field}: ${p.message}`;
        } else if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
          status = e.statusCode;
          message = e.message ?? 'bad request';
        } else {
          const errorId = randomUUID();
          req.log.error({ err: raw, errorId, url: req.url }, 'console request failed');
          return page(reply, errorPage(c, w('error_title'), `errorId ${errorId}`), 500);
        }
      }
      const sess = sessionOf.get(req);
      if (req.method === 'POST' && sess !== undefined) {
        sess.flash = { kind: 'error', text: message };
        return reply.code(303).header('location', backOf(req.url)).send();
      }
      return page(reply, errorPage(c, status === 404 ? w('not_found') : w('error_title'), message), status);
    });

    const read = { scope: 'read' as const, session: true };
    const write = { scope: 'write' as const, session: true };
    const hide = { hide: true };

    app.get('/console/assets/console.css', { config: { scope: 'public' }, schema: hide }, async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(CSS));
    app.get('/console/assets/console.js', { config: { scope: 'public' }, schema: hide }, async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(JS));

    app.get('/console', { config: read, schema: hide }, async (_req, reply) => reply.code(303).header('location', '/console/').send());

    app.get('/console/login', { config: { scope: 'public' }, schema: hide }, async (req, reply) => {
      if (sessionOf.has(req)) return reply.code(303).header('location', '/console/').send();
      return page(reply, loginPage(ctx(req), null));
    });

    app.post('/console/login', { config: { scope: 'public' }, schema: { hide: true, body: Type.Object({ key: Type.String({ maxLength: 200 }) }) } }, async (req, reply) => {
      const key = req.body.key.trim();
      const info = s.keys.verify(key);
      if (info === null) return page(reply, loginPage(ctx(req), word(langOf.get(req) ?? 'ru', 'bad_key')), 401);
      const old = sessionOf.get(req);
      if (old !== undefined) sessions.end(old.id);
      const sess = sessions.create(key, info.keyId, info.name, info.scopes);
      return reply.code(303).header('set-cookie', sessionCookie(req, sess.id)).header('location', '/console/').send();
    });

    app.post('/console/logout', { config: read, schema: hide }, async (req, reply) => {
      const sess = sessionOf.get(req);
      if (sess !== undefined) sessions.end(sess.id);
      return reply.code(303).header('set-cookie', sessionCookie(req, '', 0)).header('location', '/console/login').send();
    });

    // Fleet health: the counts of GET /v1/fleet/summary and the list of GET /v1/fleet/devices?state=…
    app.get('/console/', { config: read, schema: { hide: true, querystring: Type.Object({ list: Type.Optional(Type.Enum([...FLEET_LISTS])), lang: Type.Optional(Type.String()) }) } }, async (req, reply) => {
      const list: FleetList = req.query.list ?? 'silent';
      const snap = await s.snapshots.get();
      const summary = s.fleetHealth.summary(snap, DEFAULT_THRESHOLDS);
      const now = s.now();
      const rows = s.fleetHealth.rows(snap).filter((r) => s.fleetHealth.matches(r, list, DEFAULT_THRESHOLDS, now));
      const shown = rows.slice(0, FLEET_LIST_MAX).map((r) => s.fleetHealth.view(r, DEFAULT_THRESHOLDS, now));
      return page(reply, fleetPage(ctx(req), summary, list, shown, rows.length));
    });

    app.get('/console/accounts', { config: read, schema: { hide: true, querystring: Type.Object({ cursor: Type.Optional(Type.String()), lang: Type.Optional(Type.String()) }) } }, async (req, reply) => {
      const accounts = await s.accounts.list({}, { limit: 100, cursor: req.query.cursor });
      const rows = await Promise.all(
        accounts.items.map(async (account) => {
          const [balance, status] = await Promise.all([s.billing.balance(account.id), s.billing.status(account.id)]);
          const reason = status.state === 'active' ? null : (status.override?.reason ?? status.since?.reason ?? null);
          return { account, balance, state: status.state, reason };
        }),
      );
      return page(reply, accountsPage(ctx(req), rows, accounts.nextCursor));
    });

    app.get('/console/accounts/:accountId', { config: read, schema: { hide: true, params: AccountParams } }, async (req, reply) => {
      const id = req.params.accountId;
      const account = await s.accounts.get(id);
      const [balance, status, usage, statements, payments, decisions, snap] = await Promise.all([
        s.billing.balance(id),
        s.billing.status(id),
        s.usage.accountUsage(id, {}),
        s.statements.list(id, {}, { limit: 24 }),
        s.billing.listPayments(id, {}, { limit: 50 }),
        s.billing.decisions(id, { limit: 50 }),
        s.snapshots.get(),
      ]);
      const now = s.now();
      const devices = s.fleetHealth
        .rows(snap)
        .filter((r) => r.accountId === id)
        .map((r) => s.fleetHealth.view(r, DEFAULT_THRESHOLDS, now));
      const reason = status.state === 'active' ? null : (status.override?.reason ?? status.since?.reason ?? null);
      const today = localToday(account.timeZone, now);
      const from = (await s.rating.nextToClose([id])).get(id) ?? null;
      let nextClose = null;
      if (from !== null) {
        const draft = await s.statements.get(id, periodText(monthOf(from)));
        nextClose = { period: periodText(draft.doc.period), ended: draft.doc.period.to <= today, totals: draft.doc.totals, currency: draft.doc.currency };
      }
      return page(
        reply,
        accountPage(ctx(req), {
          account,
          balance,
          status: { state: status.state, reason },
          usage,
          statements: await s.billing.annotateStatements(id, statements.items),
          today,
          nextClose,
          payments: payments.items,
          decisions: decisions.items,
          devices,
          periodText,
        }),
      );
    });

    // A statement document: the REST route's own answer (JSON, CSV, and whatever formats it serves), with the session's key.
    const DownloadQuery = Type.Object({ format: Type.Enum(['csv', 'pdf', 'xlsx', 'json']), document: Type.Optional(Type.Enum(['invoice', 'act'])), lang: Type.Optional(Type.String()) });
    app.get('/console/accounts/:accountId/statements/:period/download', { config: read, schema: { hide: true, params: StatementParams, querystring: DownloadQuery } }, async (req, reply) => {
      const { accountId, period } = req.params;
      const q = new URLSearchParams({ format: req.query.format });
      if (req.query.document !== undefined) q.set('document', req.query.document);
      if ((req.query.format === 'pdf' || req.query.format === 'xlsx') && langOf.get(req) === 'en') q.set('lang', 'en');
      const r = await app.inject({ method: 'GET', url: `/v1/accounts/${encodeURIComponent(accountId)}/statements/${encodeURIComponent(period)}?${q}`, headers: { authorization: `Bearer ${req.sessionKey}` } });
      if (r.statusCode >= 400) {
        let message = r.body;
        try {
          message = (JSON.parse(r.body) as { message?: string }).message ?? r.body;
        } catch {
          /* not JSON: shown as it is */
        }
        return page(reply, errorPage(ctx(req), word(langOf.get(req) ?? 'ru', 'error_title'), message, `/console/accounts/${encodeURIComponent(accountId)}`), r.statusCode);
      }
      for (const h of ['content-type', 'content-disposition', 'etag', 'x-statement-status']) {
        const v = r.headers[h];
        if (v !== undefined) reply.header(h, v);
      }
      return reply.code(r.statusCode).header('cache-control', 'no-store').send(r.rawPayload);
    });

    app.get('/console/devices/:deviceId', { config: read, schema: { hide: true, params: DeviceParams } }, async (req, reply) => {
      const id = req.params.deviceId;
      const snap = await s.snapshots.get();
      const now = s.now();
      const row = s.fleetHealth.rows(snap).find((r) => r.deviceId === id);
      const registered = snap.devices.has(id);
      const known = registered || snap.deviceAssignments(id).length > 0;
      const discovered = !registered && (await s.devices.discovered(undefined, { limit: 1000 })).items.some((d) => d.id === id);
      if (row === undefined && !known && !discovered) throw new ApiError('FM_ERR_NOT_FOUND', `device ${JSON.stringify(id)} not found`);
      const usage = known ? JSON.parse((await s.usage.deviceUsageBody(id, {})).toString('utf8')) : null;
      return page(
        reply,
        devicePage(ctx(req), {
          id,
          fleet: row === undefined ? null : s.fleetHealth.view(row, DEFAULT_THRESHOLDS, now),
          device: registered ? await s.devices.get(id) : null,
          assignments: known ? (await s.devices.assignments(id)).items : [],
          usage,
          discovered,
        }),
      );
    });

    app.get('/console/discovered', { config: read, schema: hide }, async (req, reply) => {
      const [found, accounts] = await Promise.all([s.devices.discovered(undefined, { limit: 500 }), s.accounts.list({}, { limit: 1000, sort: 'name' })]);
      return page(reply, discoveredPage(ctx(req), found.items, accounts.items, new Date(s.now()).toISOString().slice(0, 10)));
    });

    // Writes: write scope, CSRF-checked, validated by the REST routes' schemas, done by their services.
    app.post('/console/accounts/:accountId/payments', { config: write, schema: { hide: true, params: AccountParams, body: PaymentCreate } }, async (req, reply) => {
      const r = await s.billing.postPayment(req.params.accountId, req.body, actorOf(req));
      const lang = langOf.get(req) ?? 'ru';
      return done(req, reply, word(lang, r.created ? 'payment_done' : 'payment_replayed', { id: r.payment.externalId }));
    });

    app.post('/console/accounts/:accountId/statements/:period/close', { config: write, schema: { hide: true, params: StatementParams } }, async (req, reply) => {
      const r = await s.statements.close(req.params.accountId, req.params.period, actorOf(req));
      return done(req, reply, word(langOf.get(req) ?? 'ru', 'closed_done', { p: periodText(r.doc.period) }));
    });

    app.post('/console/discovered/:deviceId/register', { config: write, schema: { hide: true, params: DeviceParams, body: DiscoveredRegister } }, async (req, reply) => {
      const d = await s.devices.registerDiscovered(req.params.deviceId, req.body, actorOf(req));
      return done(req, reply, word(langOf.get(req) ?? 'ru', 'registered_done', { id: d.id, a: req.body.accountId, d: req.body.effectiveFrom }));
    });
  },
  { name: 'fleetmeter-console', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
