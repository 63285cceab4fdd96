/**
 * The scheduler's lease with two scheduler instances on one store: one runs a job at a time, a
 * crashed holder's lease is taken over once it expires, a stalled holder learns it lost the lease,
 * a manual trigger is refused while another instance holds the job. Time is injected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobBusyError, type JobDefinition, leaseOf, Scheduler, schedulerMigrations } from '../billing/scheduler.ts';
import { migrate } from '../store/migrate.ts';
import type { Store } from '../store/types.ts';
import { backends } from './support/backends.ts';

describe('lease rule', () => {
  it('highest epoch wins, then the earliest claim, then the smallest owner', () => {
    expect(leaseOf([])).toBeNull();
    const c = (epoch: number, owner: string, claimedAt: number) => ({ epoch, owner, claimedAt, expiresAt: claimedAt + 10 });
    expect(leaseOf([c(1, 'a', 1), c(2, 'c', 5), c(2, 'b', 5)])).toEqual(c(2, 'b', 5));
    expect(leaseOf([c(2, 'a', 6), c(2, 'c', 5), c(1, 'b', 9)])).toEqual(c(2, 'c', 5));
  });
});

for (const backend of backends) {
  describe(`scheduler on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let clock = Date.UTC(2026, 0, 10, 12);
    const now = () => clock;
    const HOUR = 3_600_000;

    beforeAll(async () => {
      const opened = await backend.open();
      store = opened.store;
      cleanup = opened.cleanup;
      await migrate(store, schedulerMigrations);
    });
    afterAll(async () => {
      await cleanup?.();
    });

    const make = (owner: string, job: (owner: string) => JobDefinition) => {
      // settleMs is real (a short wait between claim and read-back); the clock is not.
      const s = new Scheduler(store, { owner, now, settleMs: 100, leaseMs: 60_000 });
      s.register(job(owner));
      return s;
    };

    it('two instances: one runs a due job; neither runs it again before it is due', async () => {
      const ran: string[] = [];
      const job = (owner: string): JobDefinition => ({ name: 'hourly', description: 'test', intervalMs: HOUR, run: async () => (ran.push(owner), { by: owner }) });
      const a = make('inst-a', job);
      const b = make('inst-b', job);
      const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
      expect(ran).toHaveLength(1);
      expect(ra.length + rb.length).toBe(1);
      // Later ticks, lease expired, but the job ran less than an hour ago: nobody runs it.
      clock += 120_000;
      await Promise.all([a.tick(), b.tick()]);
      clock += 120_000;
      await b.tick();
      expect(ran).toHaveLength(1);
      // Due again: exactly one more run, by whichever instance got the lease.
      clock += HOUR;
      await Promise.all([b.tick(), a.tick()]);
      expect(ran).toHaveLength(2);
      const states = await a.states();
      expect(states[0]).toMatchObject({ name: 'hourly', lastRun: { status: 'ok', result: { by: ran[1] } } });
      const runs = await a.runs.list('hourly', 10);
      expect(runs.map((r) => r.status)).toEqual(['ok', 'ok']);
    });

    it('a crashed run: its lease expires and another instance runs the job', async () => {
      const ran: string[] = [];
      let releaseCrashed!: () => void;
      const crashed = new Promise<void>((r) => (releaseCrashed = r));
      const job = (owner: string): JobDefinition => ({
        name: 'crashy',
        description: 'test',
        intervalMs: HOUR,
        run: async () => {
          ran.push(owner);
          // inst-a "dies" mid-run: never finishes, never renews.
          if (owner === 'inst-a') await crashed;
          return { by: owner };
        },
      });
      const a = make('inst-a', job);
      const b = make('inst-b', job);
      const aTick = a.tick();
      await new Promise((r) => setTimeout(r, 50));
      while (ran.length === 0) await new Promise((r) => setTimeout(r, 20));
      expect(ran).toEqual(['inst-a']);
      // While the lease holds, b stays out, and a manual trigger on b is refused.
      await b.tick();
      expect(ran).toEqual(['inst-a']);
      await expect(b.trigger('crashy')).rejects.toBeInstanceOf(JobBusyError);
      // Past the lease: b takes over; the job is due (the crashed run never finished).
      clock += 61_000;
      const taken = await b.tick();
      expect(ran).toEqual(['inst-a', 'inst-b']);
      expect(taken.map((r) => [r.owner, r.status])).toEqual([['inst-b', 'ok']]);
      const runs = await b.runs.list('crashy', 10);
      expect(runs.map((r) => [r.owner, r.status]).sort()).toEqual([
        ['inst-a', 'running'],
        ['inst-b', 'ok'],
      ]);
      releaseCrashed();
      await aTick;
    });

    it('a holder that stalled past its lease learns it lost it (renew → false)', async () => {
      let renewed: boolean[] = [];
      let gate!: () => void;
      const stalled = new Promise<void>((r) => (gate = r));
      let started!: () => void;
      const running0 = new Promise<void>((r) => (started = r));
      const job = (owner: string): JobDefinition => ({
        name: 'long',
        description: 'test',
        intervalMs: HOUR,
        run: async (ctx) => {
          if (owner === 'inst-a') {
            started();
            await stalled;
            renewed.push(await ctx.renew());
          }
          return null;
        },
      });
      const a = make('inst-a', job);
      const b = make('inst-b', job);
      const running = a.trigger('long');
      await running0; // a holds the lease and is inside the run
      clock += 61_000;
      // b claims the expired lease; a's renew must fail.
      const got = await b.leases.acquire('long', 60_000);
      expect(got.held).toBe(true);
      gate();
      await running;
      expect(renewed).toEqual([false]);
      renewed = [];
    });
  });
}
