import { describe, expect, it } from 'vitest';
import { TokenRelay } from './token-relay.js';

describe('TokenRelay', () => {
  it('writes deltas in order, one at a time, even when writes finish out of order', async () => {
    const written: string[] = [];
    let inFlight = 0;
    const relay = new TokenRelay(async (d) => {
      inFlight++;
      expect(inFlight).toBe(1);
      await new Promise((r) => setTimeout(r, d === 'a' ? 5 : 0));
      written.push(d);
      inFlight--;
    }, new AbortController().signal);
    for (const d of ['a', 'b', 'c']) relay.push(d);
    await relay.flush();
    expect(written).toEqual(['a', 'b', 'c']);
    expect(relay.count).toBe(3);
  });

  it('throws the first write failure on flush and stops writing', async () => {
    const written: string[] = [];
    const relay = new TokenRelay(async (d) => {
      if (d === 'b') throw new Error('log down');
      written.push(d);
    }, new AbortController().signal);
    for (const d of ['a', 'b', 'c']) relay.push(d);
    await expect(relay.flush()).rejects.toThrow('log down');
    expect(written).toEqual(['a']);
  });

  it('writes nothing once the signal aborted', async () => {
    const ac = new AbortController();
    const written: string[] = [];
    const relay = new TokenRelay(async (d) => void written.push(d), ac.signal);
    relay.push('a');
    ac.abort();
    relay.push('b');
    await relay.flush();
    expect(written).toEqual([]);
  });
});
