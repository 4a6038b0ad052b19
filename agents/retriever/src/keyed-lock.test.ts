import { describe, expect, it } from 'vitest';
import { KeyedLock } from './keyed-lock.js';

/** A promise with its resolver, to hold a section open until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('KeyedLock', () => {
  it('runs sections of one key one at a time, in arrival order', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const first = gate();
    const a = lock.run('k', async () => {
      log.push('a start');
      await first.promise;
      log.push('a end');
      return 'a';
    });
    const b = lock.run('k', async () => {
      log.push('b');
      return 'b';
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['a start']);
    first.open();
    await expect(Promise.all([a, b])).resolves.toEqual(['a', 'b']);
    expect(log).toEqual(['a start', 'a end', 'b']);
    expect(lock.size).toBe(0);
  });

  it('runs different keys concurrently', async () => {
    const lock = new KeyedLock();
    const held = gate();
    const slow = lock.run('one', () => held.promise);
    await expect(lock.run('two', async () => 'done')).resolves.toBe('done');
    expect(lock.size).toBe(1);
    held.open();
    await slow;
    expect(lock.size).toBe(0);
  });

  it('lets the next section run after one throws', async () => {
    const lock = new KeyedLock();
    const failing = lock.run('k', async () => {
      throw new Error('boom');
    });
    const next = lock.run('k', async () => 'next');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
    expect(lock.size).toBe(0);
  });
});
