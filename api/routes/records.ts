/** A device's stored records with their raw frames, for disputes. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../errors.ts';
import { plugin } from '../plugin.ts';
import { responses } from '../schemas/common.ts';
import { DeviceParams } from '../schemas/devices.ts';
import { RecordPage, RecordQuery } from '../schemas/records.ts';

export const recordRoutes = plugin(
  async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;

    app.get(
      '/v1/devices/:deviceId/records',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['records'],
          summary: 'A device\'s records over a device-time range, newest first, each with the raw frame (hex) that carried it',
          params: DeviceParams,
          querystring: RecordQuery,
          response: responses({ 200: RecordPage }, 404),
        },
      },
      async (req) => {
        const id = req.params.deviceId;
        const snap = await s.snapshots.get();
        if (!snap.devices.has(id) && snap.deviceAssignments(id).length === 0 && s.live.fleet.get(id) === undefined) throw notFound('device', id);
        return s.records.list(id, req.query);
      },
    );
  },
  { name: 'fleetmeter-routes-records', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
