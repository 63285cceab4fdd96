/** The price-model registry: one file per model, one interface. */
import { graduatedPricer } from './graduated.ts';
import { perUnitPricer } from './per-unit.ts';
import type { PriceModel, Pricer } from './pricer.ts';
import { volumePricer } from './volume.ts';

export function pricerFor(model: PriceModel): Pricer {
  switch (model.model) {
    case 'per-unit':
      return perUnitPricer(model.unitPrice);
    case 'graduated':
      return graduatedPricer(model.tiers);
    case 'volume':
      return volumePricer(model.tiers);
  }
}

export * from './pricer.ts';
export * from './money.ts';
export { applyIncludedUnits } from './included-units.ts';
export { minimumTopUp } from './minimum-charge.ts';
export { PRORATION_DECIMALS, proratedQuantity } from './proration.ts';
export { DEFAULT_VAT_RATE, applyVat, type VatLine } from './vat.ts';
