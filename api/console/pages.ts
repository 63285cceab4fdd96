/**
 * The console's pages: plain server-rendered HTML from the figures the API's own services return
 * (the same values as the JSON API; each figure carries its exact value in `data-value`).
 */
import type { FleetDevice, FleetSummary } from '../schemas/fleet.ts';
import type { Account } from '../schemas/accounts.ts';
import type { AccountUsage, DeviceUsage } from '../schemas/usage.ts';
import type { Device } from '../schemas/devices.ts';
import type { DecisionView, PaymentView } from '../services/billing.ts';
import type { DiscoveredDevice } from '../services/devices.ts';
import type { StatementSummary } from '../services/statements.ts';
import { type Html, type Lang, ago, html, instant, money, num } from './html.ts';
import { type Word, word } from './i18n.ts';

export interface PageContext {
  readonly lang: Lang;
  readonly path: string;
  readonly now: number;
  readonly session: { readonly keyId: string; readonly keyName: string; readonly canWrite: boolean; readonly csrf: string } | null;
  readonly flash: { readonly kind: 'ok' | 'error'; readonly text: string } | null;
}

const enc = encodeURIComponent;

export function layout(c: PageContext, title: string, body: Html, nav: 'fleet' | 'accounts' | 'discovered' | null = null): string {
  const w = (k: Word) => word(c.lang, k);
  const other: Lang = c.lang === 'ru' ? 'en' : 'ru';
  const link = (href: string, k: Word, id: typeof nav) => html`<a href="${href}" class="${nav === id ? 'on' : ''}">${w(k)}</a>`;
  const doc = html`<!doctype html>
<html lang="${c.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · fleetmeter</title><link rel="stylesheet" href="/console/assets/console.css"><script src="/console/assets/console.js" defer></script></head>
<body><header><a class="brand" href="/console/">fleetmeter</a>
${c.session === null ? html`<nav></nav>` : html`<nav>${link('/console/', 'nav_fleet', 'fleet')}${link('/console/accounts', 'nav_accounts', 'accounts')}${link('/console/discovered', 'nav_discovered', 'discovered')}</nav>`}
<div class="who">${c.session === null ? '' : html`<span data-testid="who">${w('signed_in_as')} «${c.session.keyName}» (${c.session.keyId}) · ${c.session.canWrite ? w('can_write') : w('read_only')}</span>`}
<a href="${c.path}${c.path.includes('?') ? '&' : '?'}lang=${other}" data-testid="lang">${w('lang_other')}</a>
${c.session === null ? '' : html`<form method="post" action="/console/logout"><input type="hidden" name="_csrf" value="${c.session.csrf}"><button type="submit" data-testid="sign-out">${w('sign_out')}</button></form>`}
</div></header>
<main>${c.flash === null ? '' : html`<div class="flash ${c.flash.kind}" data-testid="flash">${c.flash.text}</div>`}${body}</main></body></html>`;
  return doc.text;
}

export function loginPage(c: PageContext, error: string | null): string {
  const w = (k: Word) => word(c.lang, k);
  return layout(
    c,
    w('sign_in'),
    html`<div class="login"><h1>${w('sign_in_title')}</h1><p class="muted">${w('sign_in_help')}</p>
${error === null ? '' : html`<div class="flash error" data-testid="login-error">${error}</div>`}
<form method="post" action="/console/login" class="panel" style="border:none;padding:0">
<label>${w('api_key')}<input type="password" name="key" autocomplete="off" required autofocus data-testid="key"></label>
<button class="act" type="submit" data-testid="sign-in">${w('sign_in')}</button></form></div>`,
  );
}

export function errorPage(c: PageContext, title: string, text: string, back = '/console/'): string {
  return layout(c, title, html`<h1>${title}</h1><p data-testid="error-text">${text}</p><p><a href="${back}" data-testid="back">${word(c.lang, 'back')}</a></p>`);
}

const csrfField = (c: PageContext) => html`<input type="hidden" name="_csrf" value="${c.session?.csrf ?? ''}">`;
const deviceLink = (id: string) => html`<a href="/console/devices/${enc(id)}" data-device="${id}">${id}</a>`;
const accountLink = (id: string | null, c: PageContext) => (id === null ? html`<span class="muted">${word(c.lang, 'none')}</span>` : html`<a href="/console/accounts/${enc(id)}">${id}</a>`);
const badge = (cls: string, text: string) => html`<span class="badge ${cls}">${text}</span>`;
const position = (p: FleetDevice['lastPosition']) => (p === null ? '—' : `${p.latitude.toFixed(5)}, ${p.longitude.toFixed(5)}`);

export const FLEET_LISTS = ['silent', 'unbilled', 'never-seen', 'online'] as const;
export type FleetList = (typeof FLEET_LISTS)[number];

export function fleetPage(c: PageContext, summary: FleetSummary, list: FleetList, devices: readonly FleetDevice[], total: number): string {
  const w = (k: Word, v?: Record<string, string | number>) => word(c.lang, k, v);
  const k = summary.counts;
  const card = (id: FleetList | null, count: number, label: Word, cls: string, field: string) => {
    const inner = html`<div class="v">${num(count, c.lang, field)}</div><div class="l">${w(label)}</div>`;
    return id === null ? html`<div class="card">${inner}</div>` : html`<a class="card ${cls} ${list === id ? 'on' : ''}" href="/console/?list=${id}" data-list="${id}">${inner}</a>`;
  };
  const rows = devices.map(
    (d) => html`<tr data-row="${d.deviceId}"><td>${deviceLink(d.deviceId)}</td><td>${accountLink(d.accountId, c)}</td><td>${d.tariffId ?? '—'}</td><td>${d.protocol ?? '—'}</td>
<td>${d.registered ? (d.status === 'blocked' ? badge('blocked', w('blocked')) : w('registered')) : badge('unpaid', w('not_registered'))}</td>
<td>${instant(d.lastSeen)} <span class="muted">${ago(d.lastSeen, c.now, c.lang)}</span></td><td>${position(d.lastPosition)}</td></tr>`,
  );
  return layout(
    c,
    w('fleet_title'),
    html`<h1>${w('fleet_title')}</h1><div class="sub">${w('as_of')} ${instant(summary.asOf)} · ${w('thresholds', { m: summary.thresholds.onlineMinutes, h: summary.thresholds.silentHours })}</div>
<div class="cards">${card('online', k.onlineNow, 'c_onlineNow', 'good', 'onlineNow')}${card('silent', k.silent, 'c_silent', 'warn', 'silent')}${card('unbilled', k.unbilled, 'c_unbilled', 'bad', 'unbilled')}${card('never-seen', k.neverSeen, 'c_neverSeen', '', 'neverSeen')}</div>
<div class="cards">${card(null, k.registered, 'c_registered', '', 'registered')}${card(null, k.billed, 'c_billed', '', 'billed')}${card(null, k.unregistered, 'c_unregistered', '', 'unregistered')}${card(null, k.blocked, 'c_blocked', '', 'blocked')}</div>
<h2 data-testid="list-title">${w(`h_${list}` as Word)}</h2>
<div class="sub" data-testid="list-count" data-value="${total}">${w('shown_of', { n: devices.length, total })}</div>
<div class="tbl"><table data-testid="devices"><thead><tr><th>${w('device')}</th><th>${w('account')}</th><th>${w('tariff')}</th><th>${w('protocol')}</th><th>${w('status')}</th><th>${w('last_seen')}</th><th>${w('position')}</th></tr></thead>
<tbody>${rows.length === 0 ? html`<tr><td colspan="7" class="muted">${w('empty')}</td></tr>` : rows}</tbody></table></div>`,
    'fleet',
  );
}

export interface AccountRow {
  readonly account: Account;
  readonly balance: { readonly balance: string; readonly overdue: string; readonly currency: string };
  readonly state: 'active' | 'warning' | 'suspended';
  readonly reason: string | null;
}

export function accountsPage(c: PageContext, rows: readonly AccountRow[], nextCursor: string | null): string {
  const w = (k: Word) => word(c.lang, k);
  const body = rows.map(
    (r) => html`<tr data-row="${r.account.id}"><td><a href="/console/accounts/${enc(r.account.id)}">${r.account.id}</a></td><td class="wrap">${r.account.name}</td>
<td class="r">${money(r.balance.balance, r.balance.currency, c.lang, 'balance')}</td><td class="r">${money(r.balance.overdue, r.balance.currency, c.lang, 'overdue')}</td>
<td data-field="state" data-value="${r.state}">${badge(r.state, w(`s_${r.state}` as Word))}</td><td class="wrap">${r.reason ?? ''}</td><td class="r">${num(r.account.devices, c.lang, 'devices')}</td></tr>`,
  );
  return layout(
    c,
    w('accounts_title'),
    html`<h1>${w('accounts_title')}</h1>
<div class="tbl"><table data-testid="accounts"><thead><tr><th>ID</th><th>${w('name')}</th><th class="r">${w('balance')}</th><th class="r">${w('overdue')}</th><th>${w('state')}</th><th>${w('reason')}</th><th class="r">${w('devices')}</th></tr></thead>
<tbody>${body.length === 0 ? html`<tr><td colspan="7" class="muted">${w('empty')}</td></tr>` : body}</tbody></table></div>
${nextCursor === null ? '' : html`<p><a href="/console/accounts?cursor=${enc(nextCursor)}">${w('next_page')}</a></p>`}`,
    'accounts',
  );
}

export interface AccountPageData {
  readonly account: Account;
  readonly balance: { billed: string; paid: string; balance: string; overdue: string; credit: string; currency: string };
  readonly status: { state: 'active' | 'warning' | 'suspended'; reason: string | null };
  readonly usage: AccountUsage;
  readonly statements: readonly (StatementSummary & { payment?: { state: string; dueDate: string; paid: string; remaining: string } })[];
  readonly today: string;
  /** The period that closes next (periods close in order), its draft totals, and whether it has ended. */
  readonly nextClose: { readonly period: string; readonly ended: boolean; readonly totals: { amount: string; vat: string; total: string }; readonly currency: string } | null;
  readonly payments: readonly PaymentView[];
  readonly decisions: readonly DecisionView[];
  readonly devices: readonly FleetDevice[];
  readonly periodText: (p: { from: string; to: string }) => string;
}

export function accountPage(c: PageContext, d: AccountPageData): string {
  const w = (k: Word, v?: Record<string, string | number>) => word(c.lang, k, v);
  const a = d.account;
  const cur = d.balance.currency;
  const canWrite = c.session?.canWrite ?? false;
  const dis = canWrite ? '' : html` disabled`;
  const card = (k: Word, v: string, field: string, cls = '') => html`<div class="card ${cls}"><div class="v">${money(v, cur, c.lang, field)}</div><div class="l">${w(k)}</div></div>`;
  const u = d.usage;
  const usageMinutes = new Map(u.devices.map((x) => [x.deviceId, x.onlineMinutes]));
  const stRows = d.statements.map((s) => {
    const p = d.periodText(s.period);
    const base = `/console/accounts/${enc(a.id)}/statements/${enc(p)}/download`;
    return html`<tr data-row="${p}"><td>${p}</td><td>${badge(s.status, w(s.status === 'closed' ? 'st_closed' : 'st_draft'))}</td>
<td class="r">${money(s.totals.amount, s.currency, c.lang, 'amount')}</td><td class="r">${money(s.totals.vat, s.currency, c.lang, 'vat')}</td><td class="r">${money(s.totals.total, s.currency, c.lang, 'total')}</td>
<td>${s.payment === undefined ? '' : badge(s.payment.state, w(`ps_${s.payment.state}` as Word))}</td><td>${s.payment?.dueDate ?? ''}</td>
<td class="r">${s.payment === undefined ? '' : money(s.payment.remaining, s.currency, c.lang, 'remaining')}</td>
<td class="dl"><a href="${base}?format=pdf" data-dl="pdf">${w('invoice_pdf')}</a><a href="${base}?format=pdf&amp;document=act" data-dl="act">${w('act_pdf')}</a><a href="${base}?format=csv" data-dl="csv">CSV</a><a href="${base}?format=xlsx" data-dl="xlsx">XLSX</a></td>
</tr>`;
  });
  const payRows = d.payments.map(
    (p) => html`<tr data-row="${p.externalId}"><td>${p.date}</td><td class="r">${money(p.amount, p.currency, c.lang, 'amount')}</td><td>${p.externalId}</td><td>${badge(p.status, w(p.status))}</td><td>${instant(p.postedAt)}</td></tr>`,
  );
  const decRows = d.decisions.map((x) => html`<tr><td>${x.on}</td><td>${badge(x.kind === 'suspended' ? 'suspended' : x.kind === 'warning' ? 'warning' : 'active', w(`k_${x.kind}` as Word))}</td><td class="wrap">${x.reason}</td><td>${x.source}</td></tr>`);
  const devRows = d.devices.map(
    (x) => html`<tr data-row="${x.deviceId}"><td>${deviceLink(x.deviceId)}</td><td>${x.tariffId ?? '—'}</td><td>${x.online ? badge('active', word(c.lang, 'c_onlineNow')) : x.silent ? badge('warning', word(c.lang, 'c_silent')) : ''}</td>
<td>${instant(x.lastSeen)} <span class="muted">${ago(x.lastSeen, c.now, c.lang)}</span></td><td class="r">${num(usageMinutes.get(x.deviceId) ?? 0, c.lang, 'minutes')}</td></tr>`,
  );
  const table = (id: string, head: Html, rows: readonly Html[], cols: number) =>
    html`<div class="tbl"><table data-testid="${id}"><thead><tr>${head}</tr></thead><tbody>${rows.length === 0 ? html`<tr><td colspan="${cols}" class="muted">${w('empty')}</td></tr>` : rows}</tbody></table></div>`;
  return layout(
    c,
    a.name,
    html`<h1>${a.name} ${badge(d.status.state, w(`s_${d.status.state}` as Word))}</h1>
<div class="sub">ID ${a.id}${a.externalId === null ? '' : ` · ${w('external_id')} ${a.externalId}`} · ${w('time_zone')} ${a.timeZone} · ${a.currency}${d.status.reason === null ? '' : html` · <span data-testid="reason">${d.status.reason}</span>`}</div>
<div class="cards" data-testid="balance">${card('billed', d.balance.billed, 'billed')}${card('paid', d.balance.paid, 'paid')}${card('balance', d.balance.balance, 'balance')}${card('overdue', d.balance.overdue, 'overdue', /^[0.]+$/.test(d.balance.overdue) ? '' : 'bad')}${card('credit', d.balance.credit, 'credit')}</div>
<h2>${w('this_month')} <span class="muted">${u.period.from} … ${u.period.to}</span></h2>
<div class="cards" data-testid="usage"><div class="card"><div class="v">${num(u.onlineMinutes, c.lang, 'onlineMinutes')}</div><div class="l">${w('online_minutes')}</div></div>
<div class="card"><div class="v">${money(u.totals.amount, u.currency, c.lang, 'amount')}</div><div class="l">${w('net')}</div></div>
<div class="card"><div class="v">${money(u.totals.vat, u.currency, c.lang, 'vat')}</div><div class="l">${w('vat')}</div></div>
<div class="card"><div class="v">${money(u.totals.total, u.currency, c.lang, 'total')}</div><div class="l">${w('total')}</div></div>
${u.unratedMinutes === 0 ? '' : html`<div class="card warn"><div class="v">${num(u.unratedMinutes, c.lang, 'unratedMinutes')}</div><div class="l">${w('unrated_minutes')}</div></div>`}</div>
<h2>${w('statements')}</h2>
${canWrite ? '' : html`<div class="note" data-testid="read-only-note">${w('write_needed_here')}</div>`}
${table('statements', html`<th>${w('period')}</th><th>${w('status')}</th><th class="r">${w('net')}</th><th class="r">${w('vat')}</th><th class="r">${w('total')}</th><th>${w('payment_state')}</th><th>${w('due')}</th><th class="r">${w('remaining')}</th><th>${w('downloads')}</th>`, stRows, 9)}
${d.nextClose === null ? '' : html`<form method="post" action="/console/accounts/${enc(a.id)}/statements/${enc(d.nextClose.period)}/close" class="panel closebox" data-testid="close-form" data-period="${d.nextClose.period}" data-confirm="${w('close_confirm', { p: d.nextClose.period })}">${csrfField(c)}
<div class="row"><span>${w('next_to_close')}: <b>${d.nextClose.period}</b> · ${w('total')} ${money(d.nextClose.totals.total, d.nextClose.currency, c.lang, 'closeTotal')}</span>
${d.nextClose.ended ? html`<button class="act" type="submit" data-testid="close"${dis}>${w('close')} ${d.nextClose.period}</button>` : html`<span class="muted">${w('not_ended')}</span>`}</div></form>`}
<div class="grid2"><div>
<h2>${w('payments')}</h2>
${table('payments', html`<th>${w('value_date')}</th><th class="r">${w('amount')}</th><th>${w('document')}</th><th>${w('status')}</th><th>${w('posted')}</th>`, payRows, 5)}
<h2>${w('suspension_history')}</h2>
${table('decisions', html`<th>${w('when')}</th><th>${w('state')}</th><th>${w('reason')}</th><th>${w('source')}</th>`, decRows, 4)}
</div><div>
<h2>${w('post_payment')}</h2>
<form method="post" action="/console/accounts/${enc(a.id)}/payments" class="panel" data-testid="payment-form">${csrfField(c)}
<div class="row"><label>${w('amount')}<input name="amount" inputmode="decimal" required placeholder="12345.67"${dis}></label><label>${w('currency')}<input name="currency" value="${a.currency}" size="4" readonly${dis}></label></div>
<div class="row"><label>${w('value_date')}<input name="date" type="date" value="${d.today}" required${dis}></label></div>
<label>${w('ext_payment_id')}<input name="externalId" required maxlength="128"${dis}></label>
<div><button class="act" type="submit"${dis}>${w('post_payment')}</button></div></form>
</div></div>
<h2>${w('devices')}</h2>
${table('account-devices', html`<th>${w('device')}</th><th>${w('tariff')}</th><th>${w('state')}</th><th>${w('last_seen')}</th><th class="r">${w('online_minutes')}</th>`, devRows, 5)}`,
    'accounts',
  );
}

export interface DevicePageData {
  readonly id: string;
  readonly fleet: FleetDevice | null;
  readonly device: Device | null;
  readonly assignments: readonly { accountId: string | null; effectiveFrom: string; recordedAt: string }[];
  readonly usage: DeviceUsage | null;
  readonly discovered: boolean;
}

export function devicePage(c: PageContext, d: DevicePageData): string {
  const w = (k: Word, v?: Record<string, string | number>) => word(c.lang, k, v);
  const f = d.fleet;
  const state = f === null ? '' : [f.online ? w('c_onlineNow') : '', f.silent ? w('c_silent') : '', f.unbilled ? w('c_unbilled') : ''].filter((x) => x !== '').join(' · ');
  const units = (d.usage?.accounts ?? []).flatMap((p) => p.units.map((x) => html`<tr><td>${accountLink(p.accountId, c)}</td><td>${x.tariffId}@${x.tariffVersion}</td><td>${x.segment.from} … ${x.segment.to}</td><td class="r">${num(x.quantity, c.lang, 'quantity')} ${w(`u_${x.unit}` as Word)}</td></tr>`));
  return layout(
    c,
    w('device_title', { id: d.id }),
    html`<h1>${w('device_title', { id: d.id })}</h1>
<dl class="kv" data-testid="device"><dt>${w('status')}</dt><dd>${d.device === null ? html`${badge('unpaid', w('not_registered'))}${d.discovered ? html` · <a href="/console/discovered">${w('register_it')}</a>` : ''}` : d.device.status === 'blocked' ? badge('blocked', w('blocked')) : badge('active', w('active'))} ${state}</dd>
<dt>${w('account')}</dt><dd>${accountLink(f?.accountId ?? d.device?.account?.accountId ?? null, c)}</dd>
<dt>${w('tariff')}</dt><dd>${f?.tariffId ?? '—'}</dd>
<dt>${w('protocol')}</dt><dd>${d.device?.protocols.join(', ') ?? f?.protocol ?? '—'}</dd>
<dt>${w('last_seen')}</dt><dd>${instant(f?.lastSeen ?? null)} <span class="muted">${ago(f?.lastSeen ?? null, c.now, c.lang)}</span></dd>
<dt>${w('first_seen')}</dt><dd>${instant(f?.firstSeen ?? null)}</dd>
<dt>${w('position')}</dt><dd>${f === null ? '—' : position(f.lastPosition)}${f?.lastPosition ? ` (${instant(f.lastPosition.at)})` : ''}</dd>
${d.usage === null ? '' : html`<dt>${w('usage_month')}</dt><dd>${num(d.usage.onlineMinutes, c.lang, 'onlineMinutes')} ${w('online_minutes').toLowerCase()} (${d.usage.period.from} … ${d.usage.period.to})</dd>`}</dl>
${units.length === 0 ? '' : html`<h2>${w('units')}</h2><div class="tbl"><table data-testid="units"><thead><tr><th>${w('account')}</th><th>${w('tariff')}</th><th>${w('period')}</th><th class="r">${w('quantity')}</th></tr></thead><tbody>${units}</tbody></table></div>`}
<h2>${w('account_history')}</h2>
<div class="tbl"><table data-testid="assignments"><thead><tr><th>${w('effective_from')}</th><th>${w('account')}</th><th>${w('recorded_at')}</th></tr></thead>
<tbody>${d.assignments.length === 0 ? html`<tr><td colspan="3" class="muted">${w('empty')}</td></tr>` : d.assignments.map((x) => html`<tr><td>${x.effectiveFrom}</td><td>${accountLink(x.accountId, c)}</td><td>${instant(x.recordedAt)}</td></tr>`)}</tbody></table></div>`,
    'fleet',
  );
}

export function discoveredPage(c: PageContext, items: readonly DiscoveredDevice[], accounts: readonly { id: string; name: string }[], today: string): string {
  const w = (k: Word) => word(c.lang, k);
  const canWrite = c.session?.canWrite ?? false;
  const dis = canWrite ? '' : html` disabled`;
  const options = accounts.map((a) => html`<option value="${a.id}">${a.id} — ${a.name}</option>`);
  const rows = items.map(
    (d) => html`<tr data-row="${d.id}"><td>${deviceLink(d.id)}</td><td>${d.protocol} / ${d.transport}</td><td>${d.remote}</td><td>${instant(d.firstSeen)}</td><td>${instant(d.lastSeen)}<br><span class="muted">${ago(d.lastSeen, c.now, c.lang)}</span></td>
<td class="wrap"><form class="inline row" method="post" action="/console/discovered/${enc(d.id)}/register" data-testid="register-${d.id}">${csrfField(c)}<select name="accountId" required class="acc"${dis}><option value="">${w('choose_account')}</option>${options}</select>
<input type="date" name="effectiveFrom" value="${today}" required${dis}><button class="act small" type="submit"${dis}>${w('register_it')}</button></form></td></tr>`,
  );
  return layout(
    c,
    w('discovered_title'),
    html`<h1>${w('discovered_title')}</h1>
${canWrite ? '' : html`<div class="note" data-testid="read-only-note">${w('needs_write')}</div>`}
<div class="tbl"><table data-testid="discovered"><thead><tr><th>${w('device')}</th><th>${w('protocol')} / ${w('transport')}</th><th>${w('remote')}</th><th>${w('first_seen')}</th><th>${w('last_seen')}</th><th>${w('register_assign')}</th></tr></thead>
<tbody>${rows.length === 0 ? html`<tr><td colspan="6" class="muted">${w('empty')}</td></tr>` : rows}</tbody></table></div>`,
    'discovered',
  );
}
