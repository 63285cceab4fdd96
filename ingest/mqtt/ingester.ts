/**
 * One MQTT telemetry message → records → the pipeline; shared by the embedded broker and the
 * bridge. The returned promise is the ack decision:
 *
 * - resolves `{ ok: true }` once the records are committed: ack now (PUBACK);
 * - resolves `{ ok: false, error }` for a payload that can never be stored (logged with its
 *   bytes in hex, counted in `fleetmeter_decode_errors_total`): the caller acks it away (MQTT 3.1.1
 *   has no negative PUBACK, and a redelivered poison message would block the device forever) or,
 *   on MQTT 5, answers with a reason code;
 * - rejects (CommitError) when storage did not commit: no ack, the sender redelivers.
 */
import { protocolError, type ProtocolError } from '../../protocols/common/errors.ts';
import { FORMAT_PROTOCOL, PAYLOAD_FORMATS, decodePayload, type PayloadFormat } from '../../protocols/mqtt/index.ts';
import type { GatewayContext } from '../context.ts';
import type { PipelineGate } from './gate.ts';
import { MQTT_SOURCES, type MqttMetrics, type MqttSource } from './metrics.ts';

export interface TelemetryMessage {
  readonly deviceId: string;
  readonly format: PayloadFormat;
  readonly payload: Uint8Array;
  readonly receivedAt: number;
  readonly topic: string;
}

export type IngestOutcome = { readonly ok: true; readonly records: number } | { readonly ok: false; readonly error: ProtocolError };


/** Per-message counters bound to their labels once (prom-client hashes a label object per call). */
function boundMetrics(ctx: GatewayContext, mqttMetrics: MqttMetrics) {
  const perFormat = (f: PayloadFormat) => {
    const labels = { protocol: FORMAT_PROTOCOL[f], transport: 'mqtt' };
    return { bytes: ctx.metrics.bytes.labels(labels), frames: ctx.metrics.frames.labels(labels), records: ctx.metrics.records.labels(labels) };
  };
  const perSource = (source: MqttSource) => ({
    stored: mqttMetrics.messages.labels({ source, outcome: 'stored' }),
    failed: mqttMetrics.messages.labels({ source, outcome: 'failed' }),
    ackSeconds: mqttMetrics.ackSeconds.labels({ source }),
  });
  return {
    format: Object.fromEntries(PAYLOAD_FORMATS.map((f) => [f, perFormat(f)])) as { [F in PayloadFormat]: ReturnType<typeof perFormat> },
    source: Object.fromEntries(MQTT_SOURCES.map((s) => [s, perSource(s)])) as { [S in MqttSource]: ReturnType<typeof perSource> },
  };
}

export class MessageIngester {
  private readonly bound: ReturnType<typeof boundMetrics>;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly gate: PipelineGate,
    private readonly mqttMetrics: MqttMetrics,
  ) {
    this.bound = boundMetrics(ctx, mqttMetrics);
  }

  ingest(m: TelemetryMessage, source: MqttSource): Promise<IngestOutcome> {
    const { ctx } = this;
    const protocol = FORMAT_PROTOCOL[m.format];
    const counters = this.bound.format[m.format];
    const perSource = this.bound.source[source];
    counters.bytes.inc(m.payload.length);
    counters.frames.inc();
    // Decoded only once the pipeline has room: a message held by the gate costs its raw bytes,
    // not the records it would become.
    return new Promise<IngestOutcome>((resolve, reject) => {
      this.gate.run(() => {
        const r =
          m.payload.length > ctx.limits.maxFrameSize
            ? ({ ok: false, error: protocolError('FM_ERR_FRAME_TOO_LARGE', `payload: expected at most ${ctx.limits.maxFrameSize} bytes, got ${m.payload.length}`) } as const)
            : decodePayload(m.format, m.payload, { deviceId: m.deviceId, receivedAt: m.receivedAt });
        if (!r.ok) {
          ctx.metrics.decodeErrors.inc({ protocol, transport: 'mqtt', code: r.error.code });
          this.mqttMetrics.messages.inc({ source, outcome: 'invalid' });
          // Rate-limited, hex capped (error-log.ts): invalid payloads must not flood the log.
          ctx.decodeErrorLog.report(ctx.log, { device: m.deviceId, topic: m.topic, source, format: m.format }, r.error.code, r.error.message, m.payload);
          resolve({ ok: false, error: r.error });
          return;
        }
        if (r.warnings) ctx.decodeErrorLog.report(ctx.log, { device: m.deviceId, topic: m.topic, warnings: r.warnings.slice(0, 10) }, 'warning', 'payload decoded with warnings', null);
        counters.records.inc(r.records.length);
        const records = r.records;
        ctx.pipeline
          .submit({ deviceId: m.deviceId, protocol, transport: 'mqtt', receivedAt: m.receivedAt, frame: m.payload, records })
          .then(
            () => {
              perSource.stored.inc();
              perSource.ackSeconds.observe((Date.now() - m.receivedAt) / 1000);
              resolve({ ok: true, records: records.length });
            },
            (err: Error) => {
              perSource.failed.inc();
              reject(err);
            },
          );
      });
    });
  }
}
