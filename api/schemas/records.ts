/** A device's stored records, newest first, each with the raw frame that carried it. */
import { Type } from 'typebox';
import { DateTime, NullableDateTime, page } from './common.ts';

export const RecordQuery = Type.Object(
  {
    from: Type.Optional(DateTime('device time on or after (default: no bound)')),
    to: Type.Optional(DateTime('device time before (default: no bound)')),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'page size (default 100)' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    frames: Type.Optional(Type.Boolean({ description: 'include the raw frame hex (default true)' })),
  },
  { additionalProperties: false },
);

export const Frame = Type.Object({
  hash: Type.String({ description: 'links the frame to its records' }),
  receivedAt: DateTime(),
  transport: Type.String(),
  hex: Type.String({ description: 'the bytes exactly as received' }),
});

export const RecordItem = Type.Object({
  deviceTime: NullableDateTime('null: the device sent no time'),
  receivedAt: DateTime(),
  protocol: Type.String(),
  transport: Type.String(),
  latitude: Type.Union([Type.Number(), Type.Null()]),
  longitude: Type.Union([Type.Number(), Type.Null()]),
  altitude: Type.Union([Type.Number(), Type.Null()]),
  speed: Type.Union([Type.Number(), Type.Null()]),
  course: Type.Union([Type.Number(), Type.Null()]),
  satellites: Type.Union([Type.Number(), Type.Null()]),
  hdop: Type.Union([Type.Number(), Type.Null()]),
  valid: Type.Boolean(),
  priority: Type.Union([Type.Number(), Type.Null()]),
  eventId: Type.Union([Type.Number(), Type.Null()]),
  archive: Type.Boolean(),
  io: Type.Array(Type.Object({ id: Type.String(), kind: Type.Enum(['n', 'b', 's', 't', 'x']), value: Type.String({ description: 'n number, b 64-bit integer, s text, t boolean 1/0, x bytes as hex' }) })),
  extras: Type.Unknown({ description: 'protocol specifics (codec, packet type, …)' }),
  recordHash: Type.String(),
  frame: Type.Union([Frame, Type.Null()]),
});
export const RecordPage = page(RecordItem);
