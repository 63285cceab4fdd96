import { describe, expect, it } from 'vitest';
import { chooseFormat, formatOfContentType } from './formats.ts';
import { commandTopic, isDeviceId, parseTopic, responseTopic, telemetryFilter, telemetryTopic } from './topics.ts';

describe('topic scheme', () => {
  it.each([
    ['fleetmeter/352093086403001/telemetry', { kind: 'telemetry', deviceId: '352093086403001', format: null }],
    ['fleetmeter/truck-7/telemetry/json', { kind: 'telemetry', deviceId: 'truck-7', format: 'json' }],
    ['fleetmeter/truck-7/telemetry/protobuf', { kind: 'telemetry', deviceId: 'truck-7', format: 'protobuf' }],
    ['fleetmeter/truck-7/telemetry/avl', { kind: 'telemetry', deviceId: 'truck-7', format: 'avl' }],
    ['fleetmeter/truck-7/commands', { kind: 'commands', deviceId: 'truck-7' }],
    ['fleetmeter/truck-7/responses', { kind: 'responses', deviceId: 'truck-7' }],
    ['fleetmeter/truck-7/telemetry/xml', null],
    ['fleetmeter/truck-7/telemetry/json/extra', null],
    ['fleetmeter/truck-7/status', null],
    ['fleetmeter//telemetry', null],
    ['fleetmeter/$x/telemetry', null],
    ['fleetmeterX/truck-7/telemetry', null],
    ['other/truck-7/telemetry', null],
    ['fleetmeter', null],
    ['fleetmeter/', null],
  ])('%s', (topic, route) => {
    expect(parseTopic('fleetmeter', topic)).toEqual(route);
  });

  it('a prefix with several levels', () => {
    expect(parseTopic('acme/fm', 'acme/fm/d1/telemetry')).toEqual({ kind: 'telemetry', deviceId: 'd1', format: null });
    expect(parseTopic('acme/fm', 'acme/d1/telemetry')).toBeNull();
  });

  it('builders are the inverse of parseTopic', () => {
    expect(parseTopic('p', telemetryTopic('p', 'd', 'avl'))).toEqual({ kind: 'telemetry', deviceId: 'd', format: 'avl' });
    expect(parseTopic('p', commandTopic('p', 'd'))).toEqual({ kind: 'commands', deviceId: 'd' });
    expect(parseTopic('p', responseTopic('p', 'd'))).toEqual({ kind: 'responses', deviceId: 'd' });
    expect(telemetryFilter('p')).toBe('p/+/telemetry/#');
  });

  it('device ids are one safe topic level', () => {
    expect(['352093086403001', 'truck-7', 'a.b:c_d'].every(isDeviceId)).toBe(true);
    expect(['', 'a/b', 'a+', '#', 'a b', '$SYS', 'x'.repeat(65)].some(isDeviceId)).toBe(false);
  });

  it('format: topic suffix, then MQTT 5 content type, then JSON', () => {
    expect(chooseFormat('avl', 'application/json')).toBe('avl');
    expect(chooseFormat(null, 'application/x-protobuf; proto=fleetmeter.mqtt.v1.Telemetry')).toBe('protobuf');
    expect(chooseFormat(null, 'Application/JSON')).toBe('json');
    expect(chooseFormat(null, 'text/plain')).toBe('json');
    expect(chooseFormat(null, undefined)).toBe('json');
    expect(formatOfContentType('constructor')).toBeNull();
  });
});
