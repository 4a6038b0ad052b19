import type { IdempotencyClaim, IdempotencyEntry, IdempotencyStore } from '../../ports/job-backend.js';
import { copyJson, settle } from './memory-util.js';

interface HeldKey {
  entry: IdempotencyEntry;
  expiresAt: number;
}

/** Idempotency keys in a Map; expired keys are dropped when touched and by {@link sweep}. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly keys = new Map<string, HeldKey>();

  constructor(private readonly now: () => number) {}

  claim(scopedKey: string, fingerprint: string, ttlMs: number, jobId: string): Promise<IdempotencyClaim> {
    return settle((): IdempotencyClaim => {
      const held = this.live(scopedKey);
      if (held !== undefined) return { claimed: false, entry: copyJson(held.entry) };
      const now = this.now();
      this.keys.set(scopedKey, {
        entry: { fingerprint, state: 'pending', jobId, claimedAt: now },
        expiresAt: now + ttlMs,
      });
      return { claimed: true };
    });
  }

  complete(
    scopedKey: string,
    entry: { jobId: string; response: { status: number; body: unknown } },
    ttlMs: number,
  ): Promise<void> {
    return settle(() => {
      const held = this.live(scopedKey);
      // Without a live pending claim there is no fingerprint to store the response under (the
      // claim expired or was released), and a completed entry keeps its first response.
      if (held === undefined || held.entry.state !== 'pending' || held.entry.jobId !== entry.jobId) return;
      held.entry = {
        fingerprint: held.entry.fingerprint,
        state: 'completed',
        jobId: entry.jobId,
        response: copyJson(entry.response),
      };
      held.expiresAt = this.now() + ttlMs;
    });
  }

  release(scopedKey: string, jobId: string): Promise<void> {
    return settle(() => {
      const held = this.live(scopedKey);
      if (held?.entry.state === 'pending' && held.entry.jobId === jobId) this.keys.delete(scopedKey);
    });
  }

  /** Drops every expired key; returns how many. */
  sweep(): number {
    const now = this.now();
    let dropped = 0;
    for (const [key, held] of this.keys) {
      if (held.expiresAt <= now) {
        this.keys.delete(key);
        dropped += 1;
      }
    }
    return dropped;
  }

  /** Number of keys held, expired or not. */
  get size(): number {
    return this.keys.size;
  }

  private live(scopedKey: string): HeldKey | undefined {
    const held = this.keys.get(scopedKey);
    if (held === undefined) return undefined;
    if (held.expiresAt <= this.now()) {
      this.keys.delete(scopedKey);
      return undefined;
    }
    return held;
  }
}
