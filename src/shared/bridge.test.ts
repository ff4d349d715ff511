import { describe, expect, it } from 'vitest';
import { channels, eventNames, hostApi, hostChannels } from './api.js';
import { byChannel, fnName } from './bridge.js';

describe('derived client function names', () => {
  it('turns domain:verb into domainVerb', () => {
    expect(fnName('shelf:addBox')).toBe('shelfAddBox');
    expect(fnName('shelf:onChange')).toBe('shelfOnChange');
    expect(() => fnName('nocolon')).toThrow();
    expect(() => fnName(':x')).toThrow();
  });

  it('gives every channel, host operation and event a distinct name', () => {
    const all = [...channels, ...hostChannels, ...eventNames];
    expect(new Set(all.map(fnName)).size).toBe(all.length);
  });

  it('re-keys handlers written by function name back to their channels', async () => {
    const handlers = byChannel(hostApi, {
      hostPickFolder: async () => ({ path: '/x' }),
      hostShowInFolder: async () => ({ shown: true }),
    });
    expect(Object.keys(handlers).sort()).toEqual([...hostChannels].sort());
    expect(await handlers[hostChannels[0]!]({} as never)).toEqual({ path: '/x' });
  });
});
