/** /v1/devices and /v1/discovered-devices: the registry and its effective-dated accounts. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { plugin } from '../plugin.ts';
import { actorOf } from '../plugins/auth.ts';
import { responses } from '../schemas/common.ts';
import {
  AssignmentInput,
  AssignmentList,
  AssignmentResult,
  Device,
  DeviceCreate,
  DeviceListQuery,
  DevicePage,
  DeviceParams,
  DevicePatch,
  DiscoveredListQuery,
  DiscoveredPage,
  DiscoveredRegister,
} from '../schemas/devices.ts';

export const deviceRoutes = plugin(
  async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    const tags = ['devices'];

    app.get(
      '/v1/devices',
      { config: { scope: 'read' }, schema: { tags, summary: 'List registered devices', querystring: DeviceListQuery, response: responses({ 200: DevicePage }) } },
      async (req) => {
        const { limit, cursor, sort, ...filter } = req.query;
        return s.devices.list(filter, { limit, cursor, sort });
      },
    );

    app.post(
      '/v1/devices',
      {
        config: { scope: 'write' },
        schema: { tags, summary: 'Register a device (visible to ingest within ~1 s), optionally assigning it to an account', body: DeviceCreate, response: responses({ 201: Device }, 404, 409, 422) },
      },
      async (req, reply) => {
        const d = await s.devices.create(req.body, actorOf(req));
        return reply.code(201).header('location', `/v1/devices/${encodeURIComponent(d.id)}`).send(d);
      },
    );

    app.get(
      '/v1/devices/:deviceId',
      { config: { scope: 'read' }, schema: { tags, summary: 'One device', params: DeviceParams, response: responses({ 200: Device }, 404) } },
      async (req) => s.devices.get(req.params.deviceId),
    );

    app.patch(
      '/v1/devices/:deviceId',
      { config: { scope: 'write' }, schema: { tags, summary: 'Change protocol, password or status (blocked devices are refused at login)', params: DeviceParams, body: DevicePatch, response: responses({ 200: Device }, 404) } },
      async (req) => s.devices.patch(req.params.deviceId, req.body, actorOf(req)),
    );

    app.get(
      '/v1/devices/:deviceId/assignments',
      { config: { scope: 'read' }, schema: { tags, summary: 'Account assignment history (every record, by effective date)', params: DeviceParams, response: responses({ 200: AssignmentList }, 404) } },
      async (req) => s.devices.assignments(req.params.deviceId),
    );

    app.post(
      '/v1/devices/:deviceId/assignments',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Assign the device to an account (or unassign) from a local date',
          description: 'Appends to the history; a date on or before an existing entry, or inside a closed period, is 409 unless `correction: true`. Re-sending what is in effect is a no-op (200, result unchanged).',
          params: DeviceParams,
          body: AssignmentInput,
          response: responses({ 200: AssignmentResult, 201: AssignmentResult }, 404, 409, 422),
        },
      },
      async (req, reply) => {
        const r = await s.devices.assign(req.params.deviceId, req.body, actorOf(req));
        return reply.code(r.result === 'created' ? 201 : 200).send(r);
      },
    );

    app.get(
      '/v1/discovered-devices',
      {
        config: { scope: 'read' },
        schema: { tags, summary: 'Devices that connected but are not registered (register them in one call)', querystring: DiscoveredListQuery, response: responses({ 200: DiscoveredPage }) },
      },
      async (req) => {
        const { limit, cursor, sort, protocol } = req.query;
        return s.devices.discovered(protocol, { limit, cursor, sort });
      },
    );

    app.post(
      '/v1/discovered-devices/:deviceId/register',
      {
        config: { scope: 'write' },
        schema: { tags, summary: 'Register a discovered device and assign it to an account', params: DeviceParams, body: DiscoveredRegister, response: responses({ 201: Device }, 404, 409, 422) },
      },
      async (req, reply) => {
        const d = await s.devices.registerDiscovered(req.params.deviceId, req.body, actorOf(req));
        return reply.code(201).header('location', `/v1/devices/${encodeURIComponent(d.id)}`).send(d);
      },
    );
  },
  { name: 'fleetmeter-routes-devices', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
