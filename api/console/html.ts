/**
 * HTML for the console: a tagged template that escapes every interpolated value (device ids,
 * names and reasons come from outside and are never markup), and number/date formatting per
 * language. Money and quantities are decimal strings from the services; they are regrouped as
 * text, never turned into JS numbers.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESC: { readonly [c: string]: string } = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]);

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(v: Part): string {
  if (v === null || v === undefined || v === false || v === true) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

export type Lang = 'ru' | 'en';

/** "1234567.5" → "1 234 567,5" (ru, narrow no-break spaces) or "1,234,567.5" (en). */
export function formatDecimal(value: string, lang: Lang): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (m === null) return value;
  const [, sign, int, frac] = m;
  const group = lang === 'ru' ? '\u202f' : ',';
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  return `${sign === '-' ? '−' : ''}${grouped}${frac === undefined ? '' : (lang === 'ru' ? ',' : '.') + frac}`;
}

/** A decimal value shown formatted, with the exact service value in `data-value` (tests compare it with the API). */
export function num(value: string | number, lang: Lang, field?: string): Html {
  const v = String(value);
  return html`<span class="num" data-value="${v}"${field === undefined ? '' : new Html(` data-field="${escapeHtml(field)}"`)}>${formatDecimal(v, lang)}</span>`;
}

export function money(value: string, currency: string, lang: Lang, field?: string): Html {
  return html`${num(value, lang, field)}&nbsp;<span class="cur">${currency}</span>`;
}

/** An ISO instant as "2026-12-07 21:10 UTC" (staff work across zones; the account's zone is shown where it matters). */
export function instant(iso: string | null, dash = '—'): string {
  if (iso === null) return dash;
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** How long ago, in words of the page's language. */
export function ago(iso: string | null, now: number, lang: Lang): string {
  if (iso === null) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const [m, h, d] = [Math.floor(s / 60), Math.floor(s / 3600), Math.floor(s / 86400)];
  if (lang === 'ru') return s < 60 ? `${s} с назад` : m < 60 ? `${m} мин назад` : h < 48 ? `${h} ч назад` : `${d} дн назад`;
  return s < 60 ? `${s} s ago` : m < 60 ? `${m} min ago` : h < 48 ? `${h} h ago` : `${d} d ago`;
}
