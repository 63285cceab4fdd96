/**
 * Billing operations (billing/ops.ts) wired to the process's services: the accounts and devices
 * they read come from the configuration snapshot, silence from fleet health, statements from
 * rating. Built once by app/services.ts, whether or not the API is on.
 */
import { BillingOps, type BillingOpsDeps, type BillingOpsOptions, type OpsSources } from '../billing/ops.ts';
import { statementCsv } from '../api/services/csv.ts';
import type { DocumentsService } from '../api/services/documents.ts';
import { DEFAULT_THRESHOLDS, type FleetHealth } from '../api/services/fleet.ts';
import type { SnapshotSource } from '../api/services/snapshot.ts';
import type { SuspensionService } from '../billing/suspension.ts';

/** What the process gives billing operations: their dependencies, with the configuration snapshot and fleet health as the sources. */
export interface OpsWiring extends Omit<BillingOpsDeps, 'sources'> {
  readonly snapshots: SnapshotSource;
  readonly fleetHealth: FleetHealth;
  /** The suspension policy, run by the period-close job for each account it closed a period of. */
  readonly suspension?: Pick<SuspensionService, 'evaluate'>;
  /** Renders the invoice PDF attached to statement e-mails (none, or no provider configured: no PDF). */
  readonly documents?: DocumentsService;
}

/** The account's billing e-mail: its billing settings' `invoiceEmail`, when set. */
export function billingEmailOf(billing: unknown): string | null {
  const b = (billing ?? {}) as { invoiceEmail?: unknown };
  return typeof b.invoiceEmail === 'string' && b.invoiceEmail !== '' ? b.invoiceEmail : null;
}

export function opsSources(w: OpsWiring): OpsSources {
  return {
    async closeAccounts() {
      const snap = await w.snapshots.get();
      return snap.accountIds().map((id) => {
        const p = snap.profile(id)!;
        return { id, timeZone: p.timeZone, createdAt: p.createdAt };
      });
    },
    async account(accountId) {
      const p = (await w.snapshots.get()).profile(accountId);
      return p === undefined ? null : { name: p.name, email: billingEmailOf(p.billing) };
    },
    async closedStatement(accountId, period) {
      const c = ((await w.rating.statements.listClosed([accountId])).get(accountId) ?? []).find((s) => s.period.from === period.from && s.period.to === period.to);
      if (c === undefined) return null;
      // The invoice, numbered on this first render (the same number as any download of it).
      const invoice = w.documents?.provider ? await w.documents.pdf({ status: 'closed', json: c.json, hash: c.hash, doc: c.doc }, 'invoice', 'ru') : null;
      return {
        json: c.json,
        csv: statementCsv(c.doc, { separator: ';', decimalComma: false }),
        currency: c.doc.currency,
        total: c.doc.totals.total,
        invoice: invoice === null ? null : { filename: invoice.filename, content: invoice.bytes },
      };
    },
    async silentDevices(now, hours) {
      const snap = await w.snapshots.get();
      const t = { ...DEFAULT_THRESHOLDS, silentHours: hours };
      return w.fleetHealth
        .rows(snap)
        .filter((r) => w.fleetHealth.state(r, t, now).silent)
        .map((r) => ({ deviceId: r.deviceId, accountId: r.accountId, lastSeen: r.sighting?.lastReceived ?? null }));
    },
    async isRegistered(deviceId) {
      return (await w.snapshots.get()).devices.has(deviceId);
    },
    ...(w.suspension === undefined ? {} : { evaluateSuspension: (accountId: string, now: number) => w.suspension!.evaluate(accountId, now) }),
  };
}

export function createBillingOps(w: OpsWiring, options: BillingOpsOptions = {}): BillingOps {
  const { snapshots: _s, fleetHealth: _f, suspension: _p, documents: _d, ...deps } = w;
  return new BillingOps({ ...deps, sources: opsSources(w) }, options);
}
