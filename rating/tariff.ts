/**
 * Tariffs: a tariff id with immutable, numbered versions; each version has an effective date (a
 * calendar date read in each account's own time zone) and a definition: the unit, the activity
 * threshold, the price model and the period terms (included units, minimum charge, proration),
 * currency and VAT. A version is never edited: a change is a new version.
 */
import { canonicalJson, sha256Hex } from './canonical-json.ts';
import { ratingError } from './errors.ts';
import { DEFAULT_VAT_RATE, PRICE_MODELS, type PriceModel, type Tier, currency, dec, pricerFor } from './pricing/index.ts';
import { type IsoDate, isoToDay } from './time.ts';
import { UNITS, type Unit } from './units.ts';

export interface TariffDefinition {
  readonly name: string;
  readonly unit: Unit;
  /** Online minutes a device needs in an hour/day/month bucket to count one unit. Default 1. */
  readonly minActiveMinutes: number;
  readonly price: PriceModel;
  /** Free units per account per period (decimal text). Default '0'. */
  readonly includedUnits: string;
  /** Minimum charge per account per period, in the price basis (decimal text). Default '0'. */
  readonly minimumCharge: string;
  /** `month` unit only: prorate partial months by days. Default false. */
  readonly proration: boolean;
  readonly currency: string;
  /** VAT rate in percent (decimal text). Default '22'. */
  readonly vatRate: string;
  /** Whether prices (and the minimum) include VAT. Default false. */
  readonly pricesIncludeVat: boolean;
}

export interface TariffVersion {
  readonly tariffId: string;
  readonly version: number;
  readonly effectiveFrom: IsoDate;
  readonly definition: TariffDefinition;
}

const bad = (msg: string) => ratingError('FM_RATING_BAD_TARIFF', msg);

function decimalText(v: unknown, field: string, fallback: string): string {
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw bad(`${field} must be decimal text like "1.50", got ${JSON.stringify(v)}`);
  const d = dec(v);
  if (d.isNegative()) throw bad(`${field} must not be negative, got ${v}`);
  return v;
}

function parseTiers(v: unknown): Tier[] {
  if (!Array.isArray(v)) throw bad(`tiers must be an array, got ${JSON.stringify(v)}`);
  return v.map((t: { upTo?: unknown; unitPrice?: unknown; flatFee?: unknown }, i) => {
    if (t === null || typeof t !== 'object') throw bad(`tier ${i + 1} must be an object`);
    if (t.upTo !== null && typeof t.upTo !== 'string') throw bad(`tier ${i + 1}: upTo must be decimal text or null`);
    return { upTo: t.upTo as string | null, unitPrice: decimalText(t.unitPrice, `tier ${i + 1} unitPrice`, ''), flatFee: decimalText(t.flatFee, `tier ${i + 1} flatFee`, '0') };
  });
}

function parsePrice(v: unknown): PriceModel {
  const p = v as { model?: unknown; unitPrice?: unknown; tiers?: unknown } | null;
  if (p === null || typeof p !== 'object') throw bad('price must be an object');
  if (!PRICE_MODELS.includes(p.model as never)) throw bad(`price.model must be one of ${PRICE_MODELS.join(', ')}, got ${JSON.stringify(p.model)}`);
  const model: PriceModel = p.model === 'per-unit' ? { model: 'per-unit', unitPrice: decimalText(p.unitPrice, 'unitPrice', '') } : { model: p.model as 'graduated' | 'volume', tiers: parseTiers(p.tiers) };
  pricerFor(model); // validates tier tables
  return model;
}

/** Validates a definition from JSON (API input or stored text) and fills in defaults. */
export function parseTariffDefinition(input: unknown): TariffDefinition {
  const d = input as { [k: string]: unknown } | null;
  if (d === null || typeof d !== 'object') throw bad('a tariff definition must be an object');
  if (typeof d.name !== 'string' || d.name.length === 0) throw bad('name must be a non-empty string');
  if (!UNITS.includes(d.unit as Unit)) throw bad(`unit must be one of ${UNITS.join(', ')}, got ${JSON.stringify(d.unit)}`);
  const minActive = d.minActiveMinutes ?? 1;
  if (!Number.isInteger(minActive) || (minActive as number) < 1 || (minActive as number) > 44_640) throw bad(`minActiveMinutes must be an integer 1…44640, got ${JSON.stringify(minActive)}`);
  if (d.proration !== undefined && typeof d.proration !== 'boolean') throw bad('proration must be a boolean');
  if (d.pricesIncludeVat !== undefined && typeof d.pricesIncludeVat !== 'boolean') throw bad('pricesIncludeVat must be a boolean');
  if (typeof d.currency !== 'string') throw bad('currency must be an ISO 4217 code');
  currency(d.currency);
  const vatRate = decimalText(d.vatRate, 'vatRate', DEFAULT_VAT_RATE);
  if (dec(vatRate).greaterThan(100)) throw bad(`vatRate is a percentage 0…100, got ${vatRate}`);
  return {
    name: d.name,
    unit: d.unit as Unit,
    minActiveMinutes: minActive as number,
    price: parsePrice(d.price),
    includedUnits: decimalText(d.includedUnits, 'includedUnits', '0'),
    minimumCharge: decimalText(d.minimumCharge, 'minimumCharge', '0'),
    proration: (d.proration as boolean | undefined) ?? false,
    currency: d.currency,
    vatRate,
    pricesIncludeVat: (d.pricesIncludeVat as boolean | undefined) ?? false,
  };
}

export function tariffVersion(tariffId: string, version: number, effectiveFrom: IsoDate, definition: unknown): TariffVersion {
  if (typeof tariffId !== 'string' || tariffId.length === 0) throw bad('tariffId must be a non-empty string');
  if (!Number.isInteger(version) || version < 1 || version > 0xffffffff) throw bad(`version must be a positive integer, got ${version}`);
  isoToDay(effectiveFrom);
  return { tariffId, version, effectiveFrom, definition: parseTariffDefinition(definition) };
}

export function definitionJson(def: TariffDefinition): string {
  return canonicalJson(def);
}

export function definitionHash(def: TariffDefinition): string {
  return sha256Hex(definitionJson(def));
}

/** `tariffId@version`, the key statements use. */
export function versionKey(v: Pick<TariffVersion, 'tariffId' | 'version'>): string {
  return `${v.tariffId}@${v.version}`;
}

/**
 * The version of a tariff in effect on a local date: the latest `effectiveFrom` ≤ date; on equal
 * dates the higher version number (a correction). Null if none is in effect yet.
 */
export function versionOn(versions: readonly TariffVersion[], date: IsoDate): TariffVersion | null {
  let best: TariffVersion | null = null;
  for (const v of versions) {
    if (v.effectiveFrom > date) continue;
    if (best === null || v.effectiveFrom > best.effectiveFrom || (v.effectiveFrom === best.effectiveFrom && v.version > best.version)) best = v;
  }
  return best;
}
