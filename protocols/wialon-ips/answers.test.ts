import { describe, expect, it } from 'vitest';
import {
  AD_CODES,
  AL_CODES,
  ASD_CODES,
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
} from './answers.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('answers: exact bytes, text + \\r\\n', () => {
  it('§5 AL: 1, 0, 01, 10', () => {
    expect(AL_CODES.map((c) => text(answerLogin(c)))).toEqual(['#AL#1\r\n', '#AL#0\r\n', '#AL#01\r\n', '#AL#10\r\n']);
    expect(Array.from(answerLogin('1'))).toEqual([0x23, 0x41, 0x4c, 0x23, 0x31, 0x0d, 0x0a]);
  });
  it('§6 ASD: -1, 0, 1, 10, 11, 12, 13', () => {
    expect(ASD_CODES.map((c) => text(answerShortData(c)))).toEqual([
      '#ASD#-1\r\n',
      '#ASD#0\r\n',
      '#ASD#1\r\n',
      '#ASD#10\r\n',
      '#ASD#11\r\n',
      '#ASD#12\r\n',
      '#ASD#13\r\n',
    ]);
  });
  it('§7 AD: {-1, 0, 1, 10–16}, no other negative codes', () => {
    expect(AD_CODES.map((c) => text(answerData(c)))).toEqual([
      '#AD#-1\r\n',
      '#AD#0\r\n',
      '#AD#1\r\n',
      '#AD#10\r\n',
      '#AD#11\r\n',
      '#AD#12\r\n',
      '#AD#13\r\n',
      '#AD#14\r\n',
      '#AD#15\r\n',
      '#AD#16\r\n',
    ]);
  });
  it('§8 AB: #AB#n, and #AB# for a v2.0 CRC error', () => {
    expect(text(answerBlackBox(3))).toBe('#AB#3\r\n');
    expect(text(answerBlackBox(0))).toBe('#AB#0\r\n');
    expect(text(answerBlackBox(5000))).toBe('#AB#5000\r\n');
    expect(text(answerBlackBox(null))).toBe('#AB#\r\n');
  });
  it('§9 AP, AM', () => {
    expect(text(answerPing())).toBe('#AP#\r\n');
    expect(text(answerMessage('1'))).toBe('#AM#1\r\n');
    expect(text(answerMessage('0'))).toBe('#AM#0\r\n');
    expect(text(answerMessage('01'))).toBe('#AM#01\r\n');
  });
  it('§9 AI: ind;1, ind;0, ind;01, NA;0, and the final #AI#1', () => {
    expect(text(answerImage(0, '1'))).toBe('#AI#0;1\r\n');
    expect(text(answerImage(7, '0'))).toBe('#AI#7;0\r\n');
    expect(text(answerImage(2, '01'))).toBe('#AI#2;01\r\n');
    expect(text(answerImage(null, '0'))).toBe('#AI#NA;0\r\n');
    expect(text(answerImageDone())).toBe('#AI#1\r\n');
  });
  it('§9 AIT and AT (v2.0 DDD)', () => {
    expect(text(answerDddInfo('1'))).toBe('#AIT#1\r\n');
    expect(text(answerDddInfo('0'))).toBe('#AIT#0\r\n');
    expect(text(answerDddInfo('01'))).toBe('#AIT#01\r\n');
    expect(text(answerDddBlock(3, '1'))).toBe('#AT#3;1\r\n');
    expect(text(answerDddBlock(3, '0'))).toBe('#AT#3;0\r\n');
    expect(text(answerDddBlock(3, '01'))).toBe('#AT#3;01\r\n');
    expect(text(answerDddDone())).toBe('#AT#1\r\n');
  });
});

describe('loginReply (§5, §12)', () => {
  it('maps every outcome for v2.0', () => {
    expect(LOGIN_OUTCOMES.map((o) => text(loginReply('2.0', o)))).toEqual(['#AL#1\r\n', '#AL#0\r\n', '#AL#01\r\n', '#AL#10\r\n']);
  });
  it('v1.1 never receives a CRC error code (§12): crc-error → #AL#0', () => {
    expect(LOGIN_OUTCOMES.map((o) => text(loginReply('1.1', o)))).toEqual(['#AL#1\r\n', '#AL#0\r\n', '#AL#01\r\n', '#AL#0\r\n']);
  });
});

describe('parseAnswer (device side)', () => {
  it('reads back every answer', () => {
    expect(parseAnswer('#AL#01')).toEqual({ type: 'AL', code: '01', index: null });
    expect(parseAnswer('#ASD#-1')).toEqual({ type: 'ASD', code: '-1', index: null });
    expect(parseAnswer('#AB#')).toEqual({ type: 'AB', code: '', index: null });
    expect(parseAnswer('#AP#')).toEqual({ type: 'AP', code: '', index: null });
    expect(parseAnswer('#AI#NA;0')).toEqual({ type: 'AI', code: '0', index: 'NA' });
    expect(parseAnswer('#AI#1')).toEqual({ type: 'AI', code: '1', index: null });
    expect(parseAnswer('#AT#4;01')).toEqual({ type: 'AT', code: '01', index: '4' });
    expect(parseAnswer('#AIT#1')).toEqual({ type: 'AIT', code: '1', index: null });
  });
  it('null for non-answers', () => {
    expect(parseAnswer('#SD#1')).toBeNull();
    expect(parseAnswer('AL#1')).toBeNull();
    expect(parseAnswer('#AL')).toBeNull();
    expect(parseAnswer('')).toBeNull();
  });
});
