/**
 * Wialon IPS 1.1 / 2.0 codec (shared/protocols/wialon-ips.md). Pure: bytes in, records and the
 * exact answer bytes out; no sockets, clock or storage.
 *
 *   framer = createTcpFramer({ maxFrameSize })       // §4: lines, binary blocks, 0xFF containers
 *   for (ev of framer.push(chunk)) decodePacket(ev.frame, state, receivedAt)
 *   login → ingest authorises → loginReply(version, outcome), then sets state.deviceId/version
 *   UDP: decodeUdpDatagram(datagram, receivedAt)
 */
export type {
  WialonDataBody,
  WialonDataPacketType,
  WialonDddBlock,
  WialonDddInfo,
  WialonDevicePacketType,
  WialonExtendedData,
  WialonFix,
  WialonImageBlock,
  WialonLogin,
  WialonPacketResult,
  WialonParam,
  WialonSessionState,
  WialonShortData,
  WialonUdpResult,
  WialonVersion,
} from './model.ts';
export { WIALON_DEVICE_PACKET_TYPES, WIALON_VERSIONS } from './model.ts';

export { createTcpFramer, frameAll, type WialonFramerOptions } from './framer.ts';
export { decodePacket } from './decoder.ts';
export { decodeUdpDatagram, type UdpOptions } from './udp.ts';
export { parseDataBody, bodyToRecord } from './data.ts';

export {
  AD_CODES,
  AIT_CODES,
  AL_CODES,
  AM_CODES,
  ASD_CODES,
  BLOCK_CODES,
  LOGIN_OUTCOMES,
  answerBlackBox,
  answerData,
  answerDddBlock,
  answerDddDone,
  answerDddInfo,
  answerImage,
  answerImageDone,
  answerLogin,
  answerMessage,
  answerPing,
  answerShortData,
  loginReply,
  parseAnswer,
  type LoginOutcome,
  type ParsedAnswer,
} from './answers.ts';

export {
  encodeBlackBox,
  encodeCompressed,
  encodeData,
  encodeDddBlock,
  encodeDddInfo,
  encodeExtendedData,
  encodeImage,
  encodeLogin,
  encodeMessage,
  encodePing,
  encodeShortData,
  encodeUdp,
  type CompressOptions,
  type EncodeOptions,
} from './encoder.ts';

export {
  decodeServerPacket,
  encodeCommand,
  encodeConfigUpload,
  encodeDddRequest,
  encodeFirmwareUpload,
  encodeImageRequest,
  encodeServerMessage,
  type ServerPacket,
} from './commands.ts';
