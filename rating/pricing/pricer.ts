/**
 * One interface for every price model. A pricer turns the billable quantity of one statement line
 * (one tariff version, one segment of the period) into an unrounded amount; rounding, VAT,
 * included units and minimums are separate steps (`vat.ts`, `included-units.ts`,
 * `minimum-charge.ts`).
 */
import type { Dec } from './money.ts';

export const PRICE_MODELS = ['per-unit', 'graduated', 'volume'] as const;
export type PriceModelName = (typeof PRICE_MODELS)[number];

export interface Tier {
  /** Upper bound of the tier (inclusive) in units; null = unbounded (the last tier only). */
  readonly upTo: string | null;
  readonly unitPrice: string;
  /** Charged once per period when the tier is reached. Default '0'. */
  readonly flatFee: string;
}

export type PriceModel =
  | { readonly model: 'per-unit'; readonly unitPrice: string }
  | { readonly model: 'graduated'; readonly tiers: readonly Tier[] }
  | { readonly model: 'volume'; readonly tiers: readonly Tier[] };

export interface PriceInput {
  /** Billable units of this line (after included units). */
  readonly quantity: Dec;
  /** Billable units of the same tariff earlier in the period (graduated tiers continue from here). */
  readonly offset: Dec;
  /** Billable units of the same tariff over the whole period (volume tiers are chosen by this). */
  readonly periodTotal: Dec;
  /** Whether this line carries the tariff's once-per-period volume flat fee. */
  readonly chargesVolumeFlatFee: boolean;
}

export interface TierCharge {
  /** 1-based tier number. */
  readonly tier: number;
  readonly from: Dec;
  readonly upTo: Dec | null;
  readonly quantity: Dec;
  readonly unitPrice: Dec;
  readonly flatFee: Dec;
  readonly amount: Dec;
}

export interface PriceResult {
  /** Unrounded amount in the tariff's price basis (with or without VAT, as the tariff says). */
  readonly amount: Dec;
  /** Per-unit model: the price. */
  readonly unitPrice: Dec | null;
  /** Tiered models: the tiers this line touched. */
  readonly tiers: readonly TierCharge[] | null;
}

export interface Pricer {
  readonly model: PriceModelName;
  price(input: PriceInput): PriceResult;
}
