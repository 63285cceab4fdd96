/** How documents write figures, dates and units in each language (docs/documents.md). */
import type { Unit } from '../../rating/units.ts';
import type { Lang } from './words.ts';

/** Groups of three digits (a space), the language's decimal mark; at least `minDecimals` decimals. Decimal text in, text out. */
export function formatNumber(value: string, lang: Lang, minDecimals = 0): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (m === null) return value;
  const whole = m[2].replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'ru' ? ' ' : ',');
  const frac = (m[3] ?? '').padEnd(minDecimals, '0');
  return `${m[1]}${whole}${frac === '' ? '' : (lang === 'ru' ? ',' : '.') + frac}`;
}

export const formatMoney = (value: string, lang: Lang) => formatNumber(value, lang, 2);

const RU_MONTHS_GENITIVE = ['января', 'февраля', 'марта', 'апреля', 'мая', 'июня', 'июля', 'августа', 'сентября', 'октября', 'ноября', 'декабря'];
const EN_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "31 мая 2024 г." / "31 May 2024". */
export function longDate(iso: string, lang: Lang): string {
  const [y, m, d] = iso.split('-').map(Number);
  return lang === 'ru' ? `${d} ${RU_MONTHS_GENITIVE[m - 1]} ${y} г.` : `${d} ${EN_MONTHS[m - 1]} ${y}`;
}

/** "31.05.2024" / "2024-05-31". */
export function shortDate(iso: string, lang: Lang): string {
  const [y, m, d] = iso.split('-');
  return lang === 'ru' ? `${d}.${m}.${y}` : iso;
}

const UNITS: { readonly [L in Lang]: { readonly [U in Unit]: string } } = {
  ru: { minute: 'мин', hour: 'ч', day: 'дн.', month: 'мес.' },
  en: { minute: 'min', hour: 'h', day: 'day', month: 'month' },
};
export const unitLabel = (u: Unit, lang: Lang) => UNITS[lang][u];
