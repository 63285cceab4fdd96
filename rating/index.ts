/**
 * rating/ public API. Measuring (presence, engine) apart from pricing (tariffs, pricing/), joined
 * by the plan and the statement; the service wires them to ClickHouse.
 *
 * Ingest:      const engine = new PresenceEngine({ storage: new ClickHousePresenceStorage(store) });
 *              the pipeline commits `committedPresence(engine).derive(records)` with each batch
 *              (committed-presence.ts); without a pipeline: await engine.ingest(records).
 * API / CLI:   const rating = new RatingService({ store, presence: engine });
 *              rating.usage(accountId, period), rating.statement(accountId, period),
 *              rating.close(accountId, period), rating.billingRun(period),
 *              rating.reconcileStored(accountId, period) (raw records from ClickHouse; or
 *              rating.reconcile(accountId, period, rows) with rows of your own).
 *              Live reads may lag other instances (read cache); close, billingRun and
 *              reconcile read presence exactly (`{ exact: true }`, docs/rating.md §14).
 * Migrations:  ratingMigrations (store/migrate.ts runs them).
 */
export { RATING_ERROR_CODES, RatingError, type RatingErrorCode } from './errors.ts';
export { DAY_MS, MINUTE_MS, type IsoDate, dayIndexOf, dayToIso, isoToDay, minuteOfDay } from './time.ts';
export { BYTES_PER_DAY, WORDS_PER_DAY, type DayBits, countBits, decodeWords, encodeWords } from './minute-bitmap.ts';
export {
  DEFAULT_IMPLAUSIBLE_TIME_POLICY,
  DEFAULT_PLAUSIBILITY,
  IMPLAUSIBLE_TIME_POLICIES,
  type ImplausibleTimePolicy,
  type PlausibilityRule,
  classifyTime,
} from './plausibility.ts';
export { type DayPresence, PRESENCE_KINDS, type PresenceKind, PresenceSet, type PresenceView, type RawPresenceRow, presenceFromRows, sharedDayPresence } from './presence.ts';
export { type LoadOptions, MemoryPresenceStorage, type PresenceSource, type PresenceStorage, storageSource } from './presence-storage.ts';
export { type ClickHousePresenceOptions, ClickHousePresenceStorage, DEFAULT_CACHE_DEVICE_DAYS, type PresenceReadStats } from './presence-store.ts';
export { type EngineOptions, type EngineStats, type IngestResult, PresenceEngine, type PresenceRecord, type StagedPresence } from './engine.ts';
export { committedPresence, type DerivedBatch } from './committed-presence.ts';
export { ratingMigrations } from './schema.ts';
export { type Period, monthPeriod, nextPeriod } from './calendar.ts';
export { UNITS, type Unit } from './units.ts';
export { type TariffDefinition, type TariffVersion, parseTariffDefinition, tariffVersion } from './tariff.ts';
export { PRICE_MODELS, type PriceModel, type PriceModelName, type Pricer, pricerFor } from './pricing/index.ts';
export { type Account, ConfigIndex, type DeviceAssignment, type RatingConfig, type Suspension, type TariffAssignment } from './assignments.ts';
export { buildPlan } from './plan.ts';
export { type AdjustmentLine, STATEMENT_FORMAT, type StatementDoc, type StatementLine, rateStatement, statementHash, statementJson } from './statement.ts';
export { adjustmentsFor } from './adjustments.ts';
export { RatingConfigStore } from './config-store.ts';
export { type ClosedStatement, StatementStore } from './statement-store.ts';
export { type PresenceDifference, comparePresence, rawRecordsSql, recomputePresence, storedRawRows } from './reconcile.ts';
export { type ReconcileReport, type ReconcileScope, RatingService, type StoredReconcile, type RatingServiceOptions, type StatementResult, type UsageReport } from './service.ts';
export { deviceIdOf, presenceRows, prng, recordBatches, syntheticFleet, syntheticTariffs, workdayBits } from './synthetic.ts';
