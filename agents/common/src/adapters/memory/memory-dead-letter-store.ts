import type { DeadLetter } from '../../contract/schemas.js';
import type { DeadLetterStore } from '../../ports/job-backend.js';
import { copyJson, settle } from './memory-util.js';

/** Dead letters in a Map kept in put order, so the newest is always last. */
export class MemoryDeadLetterStore implements DeadLetterStore {
  private readonly entries = new Map<string, DeadLetter>();

  constructor(readonly name: string) {}

  put(entry: DeadLetter): Promise<void> {
    return settle(() => {
      // Re-inserting moves a job that died again after a redrive to the newest position.
      this.entries.delete(entry.job_id);
      this.entries.set(entry.job_id, copyJson(entry));
    });
  }

  list(filter: { tenantId?: string; limit: number }): Promise<DeadLetter[]> {
    return settle(() => {
      const all = [...this.entries.values()];
      const out: DeadLetter[] = [];
      for (let i = all.length - 1; i >= 0 && out.length < filter.limit; i--) {
        const entry = all[i];
        if (entry === undefined) continue;
        if (filter.tenantId !== undefined && entry.tenant_id !== filter.tenantId) continue;
        out.push(copyJson(entry));
      }
      return out;
    });
  }

  get(jobId: string): Promise<DeadLetter | undefined> {
    return settle(() => {
      const entry = this.entries.get(jobId);
      return entry === undefined ? undefined : copyJson(entry);
    });
  }

  take(jobId: string): Promise<DeadLetter | undefined> {
    return settle(() => {
      const entry = this.entries.get(jobId);
      this.entries.delete(jobId);
      return entry;
    });
  }

  /** Number of entries held. */
  get size(): number {
    return this.entries.size;
  }
}
