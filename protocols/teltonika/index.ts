/**
 * Teltonika AVL protocols (teltonika.md): a pure codec. Bytes in; frames, `TelemetryRecord`s and
 * the exact reply bytes out. No sockets, no clock, no storage.
 *
 * TCP:  createTcpFramer().push(chunk) → imei | ping | packet frames
 *       imei   → imeiReply(accepted)
 *       packet → decodeTcpPacket(bytes, ctx) → records + reply (send the reply after storing)
 * UDP:  decodeUdpDatagram(bytes, receivedAt) → imei, records + reply
 * Server commands: encodeCommand(text) → Codec 12 packet; responses come back through decodeTcpPacket.
 */
export { createTcpFramer, MIN_MAX_FRAME_SIZE } from './framer.ts';
export type { TeltonikaTcpFrame, TeltonikaFramerOptions } from './framer.ts';
export { imeiReply } from './imei.ts';
export { decodeTcpPacket, decodeCommandPacket, tcpAck } from './decoder.ts';
export type { TeltonikaPacketResult, Codec12PacketResult } from './decoder.ts';
export { decodeUdpDatagram, udpAck } from './udp.ts';
export type { TeltonikaUdpResult } from './udp.ts';
export {
  encodeAvlData,
  encodeAvlPacket,
  encodeCodec12Packet,
  encodeCommand,
  encodeCommandResponse,
  encodeImei,
  encodeTcpFrame,
  encodeUdpDatagram,
  IO_SIZES,
} from './encoder.ts';
export type { AvlIoInput, AvlRecordInput, IoSize, UdpDatagramInput } from './encoder.ts';
export { AVL_CODECS, CODEC_8, CODEC_8E, CODEC_12, CODEC_16, isAvlCodec } from './avl.ts';
export type { AvlCodec } from './avl.ts';
export { CODEC12_TYPE_COMMAND, CODEC12_TYPE_RESPONSE } from './codec12.ts';
export { IO_ELEMENTS, ioElementInfo, presentIo } from './io-elements.ts';
export type { IoElementInfo, PresentedIo } from './io-elements.ts';
