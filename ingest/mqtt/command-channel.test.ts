import { describe, expect, it } from 'vitest';
import { CommandError, CommandRouter, type OutgoingCommand } from '../commands.ts';
import { parseCommandResponse } from './command-channel.ts';

describe('command routing', () => {
  it('an answer carrying the id resolves that command, whatever the order', async () => {
    const sent: OutgoingCommand[] = [];
    const router = new CommandRouter();
    router.attachChannel('d1', 'mqtt', (c) => {
      sent.push(c);
      return null;
    });
    const a = router.send('d1', 'first', 1000);
    const b = router.send('d1', 'second', 1000);
    expect(sent.map((c) => c.text)).toEqual(['first', 'second']);
    expect(new Set(sent.map((c) => c.id)).size).toBe(2);
    router.response('d1', 'mqtt', ['answer to second'], 5, sent[1].id);
    router.response('d1', 'mqtt', ['answer to first'], 6); // no id: the oldest open command
    expect((await b).response).toBe('answer to second');
    expect((await a).response).toBe('answer to first');
  });

  it('a channel that cannot deliver rejects at once with FM_ERR_COMMAND_NOT_DELIVERED', async () => {
    const router = new CommandRouter();
    router.attachChannel('d2', 'mqtt', () => 'the device is not subscribed');
    await expect(router.send('d2', 'x', 1000)).rejects.toMatchObject({ code: 'FM_ERR_COMMAND_NOT_DELIVERED' });
  });

  it("detaching an old session does not remove the device's newer one", async () => {
    const router = new CommandRouter();
    const detachOld = router.attachChannel('d3', 'mqtt', () => null);
    const pending = router.send('d3', 'x', 1000);
    router.attachChannel('d3', 'mqtt', () => null); // reconnect: the old waiters are failed
    await expect(pending).rejects.toBeInstanceOf(CommandError);
    detachOld();
    expect(router.isConnected('d3')).toBe(true);
  });

  it('responses: {id, response} JSON, else plain text', () => {
    expect(parseCommandResponse(Buffer.from('{"id":"k-1","response":"DOUT1:1"}'))).toEqual({ id: 'k-1', response: 'DOUT1:1' });
    expect(parseCommandResponse(Buffer.from('{"response":"ok"}'))).toEqual({ id: undefined, response: 'ok' });
    expect(parseCommandResponse(Buffer.from('{not json'))).toEqual({ id: undefined, response: '{not json' });
    expect(parseCommandResponse(Buffer.from('GPS:1 Sat:9'))).toEqual({ id: undefined, response: 'GPS:1 Sat:9' });
  });
});
