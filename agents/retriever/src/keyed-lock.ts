/**
 * Runs critical sections one at a time per key, in arrival order; different keys run concurrently.
 * Keys with nothing waiting are forgotten, so the map stays as small as the work in flight.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Number of keys with a section running or waiting (for tests and diagnostics). */
  get size(): number {
    return this.tails.size;
  }

  /** Runs `fn` once every earlier section of the same key has settled. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
