import { describe, expect, it } from 'vitest';
import { TokenRelay } from './token-relay.js';

describe('TokenRelay', () => {
  it('writes deltas in order, one write at a time, joining what arrives while a write is in flight', async () => {
    const written: string[] = [];
    let inFlight = 0;
    const relay = new TokenRelay(async (d) => {
      inFlight++;
      expect(inFlight).toBe(1);
      await new Promise((r) => setTimeout(r, 20));
      written.push(d);
      inFlight--;
    }, new AbortController().signal);
    relay.push('a');
    await new Promise((r) => setTimeout(r, 5));
    for (const d of ['b', 'c']) relay.push(d);
    await relay.flush();
    expect(written).toEqual(['a', 'bc']);
    expect(relay.count).toBe(3);
  });

  it('gives each delta its own write when they arrive slower than the log takes them', async () => {
    const written: string[] = [];
    const relay = new TokenRelay(async (d) => void written.push(d), new AbortController().signal);
    for (const d of ['x', 'y', 'z']) {
      relay.push(d);
      await new Promise((r) => setTimeout(r, 2));
    }
    await relay.flush();
    expect(written).toEqual(['x', 'y', 'z']);
  });

  it('throws the first write failure on flush and stops writing', async () => {
    const written: string[] = [];
    const relay = new TokenRelay(async (d) => {
      if (d.includes('b')) throw new Error('log down');
      written.push(d);
    }, new AbortController().signal);
    relay.push('a');
    await new Promise((r) => setTimeout(r, 2));
    relay.push('b');
    await new Promise((r) => setTimeout(r, 2));
    relay.push('c');
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
