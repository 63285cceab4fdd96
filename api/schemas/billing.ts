/** Payments, balances, statement payment states, suspension (docs/billing.md). */
import { Type } from 'typebox';
import { STATEMENT_PAYMENT_STATES } from '../../billing/allocation.ts';
import { DECISION_KINDS, DECISION_SOURCES, SUSPENSION_MODES, SUSPENSION_STATES } from '../../billing/policy.ts';
import { Currency, DateTime, Id, IsoDate, Money, NullableDateTime, Period, listQuery, page } from './common.ts';

export const PAYMENT_STATUSES = ['received', 'reversed'] as const;
const ExternalPaymentId = Type.String({ minLength: 1, maxLength: 128, description: 'the payment\'s id in the billing system: bank statement line, 1C document number; the idempotency key' });
const Reason = Type.String({ minLength: 1, maxLength: 500 });

export const PaymentCreate = Type.Object(
  {
    amount: Type.String({ pattern: '^(0|[1-9][0-9]{0,15})(\\.[0-9]{1,4})?$', description: 'decimal text > 0, at most the currency\'s minor digits (e.g. "12345.67")' }),
    currency: Currency,
    date: IsoDate('value date of the payment (bank statement date)'),
    externalId: ExternalPaymentId,
  },
  { additionalProperties: false },
);

export const Payment = Type.Object({
  id: Type.String({ description: 'derived from (account, externalId): the same external id is always the same payment' }),
  accountId: Id('account id'),
  externalId: ExternalPaymentId,
  amount: Money,
  currency: Currency,
  date: IsoDate('value date'),
  postedAt: DateTime('when it was first posted'),
  status: Type.Enum([...PAYMENT_STATUSES]),
  reversal: Type.Union([Type.Object({ at: DateTime(), reason: Type.String() }), Type.Null()]),
});

export const PaymentParams = Type.Object({ accountId: Id('account id'), paymentId: Id('payment id') });
export const ReversalCreate = Type.Object({ reason: Reason }, { additionalProperties: false });

export const PAYMENT_SORTS = ['date', 'postedAt'] as const;
export const PaymentListQuery = listQuery(PAYMENT_SORTS, { status: Type.Optional(Type.Enum([...PAYMENT_STATUSES])) });
export const PaymentPage = page(Payment);

export const StatementBalance = Type.Object({
  period: Type.String({ description: 'the statement: "2026-10" (or "from..to")' }),
  range: Period,
  closedOn: IsoDate('local date it was closed'),
  dueDate: IsoDate('closedOn + the account\'s paymentTermDays'),
  total: Money,
  paid: Money,
  remaining: Money,
  state: Type.Enum([...STATEMENT_PAYMENT_STATES]),
  daysPastDue: Type.Integer(),
  allocations: Type.Array(Type.Object({ source: Type.String({ description: 'payment id, or statement:<period> for a credit' }), amount: Money })),
});

export const SuspensionSummary = Type.Object({
  state: Type.Enum([...SUSPENSION_STATES]),
  mode: Type.Enum([...SUSPENSION_MODES]),
});

export const Balance = Type.Object({
  accountId: Id('account id'),
  currency: Currency,
  asOf: IsoDate('local date of the figures'),
  billed: Money,
  paid: Money,
  balance: Money,
  overdue: Money,
  credit: Money,
  statements: Type.Array(StatementBalance),
  suspension: SuspensionSummary,
});

export const Decision = Type.Object({
  id: Type.String(),
  accountId: Id('account id'),
  seq: Type.Integer({ description: 'the account\'s decisions are numbered 1, 2, …' }),
  kind: Type.Enum([...DECISION_KINDS]),
  source: Type.Enum([...DECISION_SOURCES]),
  at: DateTime('when it was decided'),
  on: IsoDate('local date it took effect'),
  reason: Type.String({ description: 'in words and figures, e.g. "suspended 2026-12-12: statement 2026-10, 12 345.67 RUB, 12 days past due, grace 10 days"' }),
  facts: Type.Unknown({ description: 'the figures behind the reason (an object)' }),
});
export const DECISION_SORTS = ['seq'] as const;
export const DecisionListQuery = listQuery(DECISION_SORTS, {});
export const DecisionPage = page(Decision);

export const Override = Type.Object({
  state: Type.Enum(['active', 'suspended']),
  reason: Type.String(),
  expiresAt: DateTime(),
  setAt: DateTime(),
  keyId: Type.String(),
});
export const OverrideCreate = Type.Object(
  {
    state: Type.Enum(['active', 'suspended'], { description: 'active: never suspend (and lift a suspension); suspended: suspend now' }),
    reason: Reason,
    expiresAt: DateTime('the policy takes over again at this instant (must be in the future)'),
  },
  { additionalProperties: false },
);
export const OverrideResult = Type.Object({ override: Override, decisions: Type.Array(Decision) });
export const OverrideCleared = Type.Object({ cleared: Override, decisions: Type.Array(Decision) });

export const SuspensionStatus = Type.Object({
  accountId: Id('account id'),
  state: Type.Enum([...SUSPENSION_STATES]),
  mode: Type.Enum([...SUSPENSION_MODES]),
  since: Type.Union([Decision, Type.Null()], { description: 'the decision that set the state' }),
  override: Type.Union([Override, Type.Null()], { description: 'the override in force' }),
  suspendedAt: NullableDateTime('when the current suspension began (null unless suspended)'),
});

export const EvaluateBody = Type.Object({ accountId: Type.Optional(Id('only this account')) }, { additionalProperties: false });
export const EvaluateResult = Type.Object({
  accounts: Type.Integer(),
  decisions: Type.Array(Decision),
  failed: Type.Array(Type.Object({ accountId: Type.String(), error: Type.String() })),
});
