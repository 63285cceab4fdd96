import { describe, expect, it } from 'vitest';
import { amountInWords, enNumber, ruNumber, ruPlural } from './words.ts';

describe('amounts in words', () => {
  it('Russian: the issue\'s example and the forms of рубль / копейка', () => {
    expect(amountInWords('1200.50', 'RUB', 'ru')).toBe('Одна тысяча двести рублей 50 копеек');
    expect(amountInWords('1.01', 'RUB', 'ru')).toBe('Один рубль 01 копейка');
    expect(amountInWords('2.02', 'RUB', 'ru')).toBe('Два рубля 02 копейки');
    expect(amountInWords('5.05', 'RUB', 'ru')).toBe('Пять рублей 05 копеек');
    expect(amountInWords('11.11', 'RUB', 'ru')).toBe('Одиннадцать рублей 11 копеек');
    expect(amountInWords('21.21', 'RUB', 'ru')).toBe('Двадцать один рубль 21 копейка');
    expect(amountInWords('0', 'RUB', 'ru')).toBe('Ноль рублей 00 копеек');
    expect(amountInWords('7.3', 'RUB', 'ru')).toBe('Семь рублей 30 копеек');
    expect(amountInWords('-3.00', 'RUB', 'ru')).toBe('Минус три рубля 00 копеек');
  });

  it('Russian: thousands are feminine, millions masculine, with their plural forms', () => {
    expect(ruNumber(2000n)).toBe('две тысячи');
    expect(ruNumber(5000n)).toBe('пять тысяч');
    expect(ruNumber(21_000n)).toBe('двадцать одна тысяча');
    expect(ruNumber(112_000n)).toBe('сто двенадцать тысяч');
    expect(ruNumber(1_000_000n)).toBe('один миллион');
    expect(ruNumber(2_000_001n)).toBe('два миллиона один');
    expect(ruNumber(2_000_001n, 'f')).toBe('два миллиона одна');
    expect(ruNumber(987_654_321n)).toBe('девятьсот восемьдесят семь миллионов шестьсот пятьдесят четыре тысячи триста двадцать один');
    expect(ruNumber(1_000_000_000n)).toBe('один миллиард');
    expect(amountInWords('1234567.89', 'RUB', 'ru')).toBe('Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей 89 копеек');
  });

  it('Russian plural forms follow the last two digits', () => {
    const cases: [bigint, number][] = [[1n, 0], [2n, 1], [4n, 1], [5n, 2], [11n, 2], [12n, 2], [14n, 2], [19n, 2], [20n, 2], [21n, 0], [22n, 1], [101n, 0], [111n, 2], [1001n, 0]];
    for (const [n, form] of cases) expect(ruPlural(n), String(n)).toBe(form);
  });

  it('other currencies: their own words, or the ISO code', () => {
    expect(amountInWords('7.32', 'EUR', 'ru')).toBe('Семь евро 32 евроцента');
    expect(amountInWords('1.00', 'USD', 'ru')).toBe('Один доллар США 00 центов');
    expect(amountInWords('3.50', 'XYZ', 'ru')).toBe('Три XYZ 50');
  });

  it('English', () => {
    expect(amountInWords('1200.50', 'RUB', 'en')).toBe('One thousand two hundred rubles 50 kopecks');
    expect(amountInWords('1.01', 'EUR', 'en')).toBe('One euro 01 cent');
    expect(enNumber(0n)).toBe('zero');
    expect(enNumber(45n)).toBe('forty-five');
    expect(enNumber(1_000_017n)).toBe('one million seventeen');
    expect(enNumber(2_300_000_000n)).toBe('two billion three hundred million');
  });

  it('refuses what is not a money amount', () => {
    expect(() => amountInWords('1.234', 'RUB', 'ru')).toThrow(RangeError);
    expect(() => amountInWords('abc', 'RUB', 'ru')).toThrow(RangeError);
  });
});
