/**
 * Amounts in words, as a payment document writes its total: "Одна тысяча двести рублей 50 копеек"
 * (Russian) or "One thousand two hundred rubles 50 kopecks" (English). The whole part is spelled
 * out with the currency's grammatical gender and plural forms; the fraction stays digits (two of
 * them), as Russian accounting practice writes it. Amounts are decimal text (the statement's
 * money strings), never JS numbers. Currencies without forms below use their ISO code.
 */

export type Lang = 'ru' | 'en';

type Gender = 'm' | 'f';
/** Russian forms for 1, 2–4 and 5+ (один рубль, два рубля, пять рублей). */
type Forms = readonly [string, string, string];

interface CurrencyWords {
  readonly ru: { readonly gender: Gender; readonly major: Forms; readonly minorGender: Gender; readonly minor: Forms };
  readonly en: { readonly major: readonly [string, string]; readonly minor: readonly [string, string] };
}

const CURRENCIES: { readonly [code: string]: CurrencyWords } = {
  RUB: { ru: { gender: 'm', major: ['рубль', 'рубля', 'рублей'], minorGender: 'f', minor: ['копейка', 'копейки', 'копеек'] }, en: { major: ['ruble', 'rubles'], minor: ['kopeck', 'kopecks'] } },
  EUR: { ru: { gender: 'm', major: ['евро', 'евро', 'евро'], minorGender: 'm', minor: ['евроцент', 'евроцента', 'евроцентов'] }, en: { major: ['euro', 'euros'], minor: ['cent', 'cents'] } },
  USD: { ru: { gender: 'm', major: ['доллар США', 'доллара США', 'долларов США'], minorGender: 'm', minor: ['цент', 'цента', 'центов'] }, en: { major: ['US dollar', 'US dollars'], minor: ['cent', 'cents'] } },
  KZT: { ru: { gender: 'm', major: ['тенге', 'тенге', 'тенге'], minorGender: 'm', minor: ['тиын', 'тиына', 'тиынов'] }, en: { major: ['tenge', 'tenge'], minor: ['tiyn', 'tiyn'] } },
  BYN: { ru: { gender: 'm', major: ['белорусский рубль', 'белорусских рубля', 'белорусских рублей'], minorGender: 'f', minor: ['копейка', 'копейки', 'копеек'] }, en: { major: ['Belarusian ruble', 'Belarusian rubles'], minor: ['kopeck', 'kopecks'] } },
};

const RU_ONES_M = ['', 'один', 'два', 'три', 'четыре', 'пять', 'шесть', 'семь', 'восемь', 'девять'];
const RU_ONES_F = ['', 'одна', 'две', 'три', 'четыре', 'пять', 'шесть', 'семь', 'восемь', 'девять'];
const RU_TEENS = ['десять', 'одиннадцать', 'двенадцать', 'тринадцать', 'четырнадцать', 'пятнадцать', 'шестнадцать', 'семнадцать', 'восемнадцать', 'девятнадцать'];
const RU_TENS = ['', '', 'двадцать', 'тридцать', 'сорок', 'пятьдесят', 'шестьдесят', 'семьдесят', 'восемьдесят', 'девяносто'];
const RU_HUNDREDS = ['', 'сто', 'двести', 'триста', 'четыреста', 'пятьсот', 'шестьсот', 'семьсот', 'восемьсот', 'девятьсот'];
/** Scales from 10^3 up: gender and forms. */
const RU_SCALES: readonly { readonly gender: Gender; readonly forms: Forms }[] = [
  { gender: 'f', forms: ['тысяча', 'тысячи', 'тысяч'] },
  { gender: 'm', forms: ['миллион', 'миллиона', 'миллионов'] },
  { gender: 'm', forms: ['миллиард', 'миллиарда', 'миллиардов'] },
  { gender: 'm', forms: ['триллион', 'триллиона', 'триллионов'] },
];

/** The Russian plural form of `n` (BigInt): 0 for 1, 21, 101…; 1 for 2–4, 22–24…; 2 otherwise (5–20, 25…). */
export function ruPlural(n: bigint): 0 | 1 | 2 {
  const h = n % 100n;
  const t = n % 10n;
  if (h >= 11n && h <= 19n) return 2;
  if (t === 1n) return 0;
  if (t >= 2n && t <= 4n) return 1;
  return 2;
}

function ruTriad(n: number, gender: Gender): string[] {
  const out: string[] = [];
  const h = Math.floor(n / 100);
  const rest = n % 100;
  if (h > 0) out.push(RU_HUNDREDS[h]);
  if (rest >= 10 && rest < 20) out.push(RU_TEENS[rest - 10]);
  else {
    if (rest >= 20) out.push(RU_TENS[Math.floor(rest / 10)]);
    const o = rest % 10;
    if (o > 0) out.push((gender === 'f' ? RU_ONES_F : RU_ONES_M)[o]);
  }
  return out;
}

/** A non-negative integer in Russian words, in the gender of what it counts ("одна тысяча", "два рубля"). */
export function ruNumber(n: bigint, gender: Gender = 'm'): string {
  if (n < 0n) throw new RangeError(`negative: ${n}`);
  if (n === 0n) return 'ноль';
  const triads: number[] = [];
  for (let v = n; v > 0n; v /= 1000n) triads.push(Number(v % 1000n));
  if (triads.length > RU_SCALES.length + 1) throw new RangeError(`too large: ${n}`);
  const words: string[] = [];
  for (let i = triads.length - 1; i >= 0; i--) {
    const t = triads[i];
    if (t === 0) continue;
    if (i === 0) words.push(...ruTriad(t, gender));
    else {
      const scale = RU_SCALES[i - 1];
      words.push(...ruTriad(t, scale.gender), scale.forms[ruPlural(BigInt(t))]);
    }
  }
  return words.join(' ');
}

const EN_ONES = ['', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const EN_TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const EN_SCALES = ['thousand', 'million', 'billion', 'trillion'];

function enTriad(n: number): string[] {
  const out: string[] = [];
  const h = Math.floor(n / 100);
  const rest = n % 100;
  if (h > 0) out.push(EN_ONES[h], 'hundred');
  if (rest > 0 && rest < 20) out.push(EN_ONES[rest]);
  else if (rest >= 20) out.push(rest % 10 === 0 ? EN_TENS[Math.floor(rest / 10)] : `${EN_TENS[Math.floor(rest / 10)]}-${EN_ONES[rest % 10]}`);
  return out;
}

/** A non-negative integer in English words ("one thousand two hundred"). */
export function enNumber(n: bigint): string {
  if (n < 0n) throw new RangeError(`negative: ${n}`);
  if (n === 0n) return 'zero';
  const triads: number[] = [];
  for (let v = n; v > 0n; v /= 1000n) triads.push(Number(v % 1000n));
  if (triads.length > EN_SCALES.length + 1) throw new RangeError(`too large: ${n}`);
  const words: string[] = [];
  for (let i = triads.length - 1; i >= 0; i--) {
    if (triads[i] === 0) continue;
    words.push(...enTriad(triads[i]));
    if (i > 0) words.push(EN_SCALES[i - 1]);
  }
  return words.join(' ');
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * An amount (decimal text, e.g. "1200.50" or "-3.5") in words with its currency:
 * ru "Одна тысяча двести рублей 50 копеек", en "One thousand two hundred rubles 50 kopecks".
 * The fraction is rounded to nothing: it must already have at most two digits.
 */
export function amountInWords(amount: string, currencyCode: string, lang: Lang): string {
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(amount.trim());
  if (m === null) throw new RangeError(`not a money amount with at most 2 decimals: ${JSON.stringify(amount)}`);
  const negative = m[1] === '-' && /[1-9]/.test(amount);
  const whole = BigInt(m[2]);
  const minorText = (m[3] ?? '').padEnd(2, '0');
  const minor = BigInt(minorText);
  const c = CURRENCIES[currencyCode];
  let text: string;
  if (lang === 'ru') {
    const major = c ? `${ruNumber(whole, c.ru.gender)} ${c.ru.major[ruPlural(whole)]}` : `${ruNumber(whole)} ${currencyCode}`;
    const fraction = c ? `${minorText} ${c.ru.minor[ruPlural(minor)]}` : minorText;
    text = `${negative ? 'минус ' : ''}${major} ${fraction}`;
  } else {
    const major = c ? `${enNumber(whole)} ${c.en.major[whole === 1n ? 0 : 1]}` : `${enNumber(whole)} ${currencyCode}`;
    const fraction = c ? `${minorText} ${c.en.minor[minor === 1n ? 0 : 1]}` : minorText;
    text = `${negative ? 'minus ' : ''}${major} ${fraction}`;
  }
  return capitalize(text);
}
