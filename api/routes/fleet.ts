/** Fleet health: counts at a glance, and the devices behind them. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { plugin } from '../plugin.ts';
import { responses } from '../schemas/common.ts';
import { FleetDevicePage, FleetSummary, FleetSummaryQuery, FleetDeviceQuery } from '../schemas/fleet.ts';
import { DEFAULT_THRESHOLDS } from '../services/fleet.ts';
import { mapPage, paginate } from '../services/list.ts';

export const fleetRoutes = plugin(
  async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    const tags = ['fleet'];

    app.get(
      '/v1/fleet/summary',
      {
        config: { scope: 'read' },
        schema: { tags, summary: 'Counts at a glance: online now, billed, silent while billed, unbilled (revenue leak), never seen', querystring: FleetSummaryQuery, response: responses({ 200: FleetSummary }) },
      },
      async (req) => {
        const snap = await s.snapshots.get();
        return s.fleetHealth.summary(snap, { ...DEFAULT_THRESHOLDS, ...req.query });
      },
    );

    app.get(
      '/v1/fleet/devices',
      {
        config: { scope: 'read' },
        schema: { tags, summary: 'Devices with their standing: online, last seen, last position, silent, unbilled', querystring: FleetDeviceQuery, response: responses({ 200: FleetDevicePage }) },
      },
      async (req) => {
        const { limit, cursor, sort, state, accountId, onlineMinutes, silentHours } = req.query;
        const t = { onlineMinutes: onlineMinutes ?? DEFAULT_THRESHOLDS.onlineMinutes, silentHours: silentHours ?? DEFAULT_THRESHOLDS.silentHours };
        const snap = await s.snapshots.get();
        const now = s.now();
        const rows = s.fleetHealth.rows(snap).filter((r) => (state === undefined || s.fleetHealth.matches(r, state, t, now)) && (accountId === undefined || r.accountId === accountId));
        const page = paginate(rows, { limit, cursor, sort }, { deviceId: (r) => r.deviceId, lastSeen: (r) => r.sighting?.lastReceived ?? null }, (r) => r.deviceId, 'deviceId', 'deviceId');
        return mapPage(page, (r) => s.fleetHealth.view(r, t, now));
      },
    );
  },
  { name: 'fleetmeter-routes-fleet', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
