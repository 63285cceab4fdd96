/** One entry point for every MQTT payload format: bytes in, records or a typed error out. */
import type { DecodeContext } from '../record.ts';
import { decodeAvlPayload } from './avl.ts';
import type { PayloadFormat } from './formats.ts';
import { decodeJsonPayload } from './json.ts';
import { decodeProtobufPayload } from './protobuf.ts';
import type { PayloadResult } from './result.ts';

const DECODERS: { readonly [F in PayloadFormat]: (bytes: Uint8Array, ctx: DecodeContext) => PayloadResult } = {
  json: decodeJsonPayload,
  protobuf: decodeProtobufPayload,
  avl: decodeAvlPayload,
};

export function decodePayload(format: PayloadFormat, bytes: Uint8Array, ctx: DecodeContext): PayloadResult {
  return DECODERS[format](bytes, ctx);
}
