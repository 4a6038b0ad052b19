import { AgentError } from '../../contract/errors.js';
import { isTerminal } from '../../contract/schemas.js';
import type { JobRecord, JobStatus } from '../../contract/schemas.js';
import type { JobListFilter, JobPatch, JobStore } from '../../ports/job-backend.js';
import { copyJson, settle } from './memory-util.js';

interface StoredJob {
  record: JobRecord;
  /** `created_at` in epoch ms: the sort key of `list`. */
  createdMs: number;
  /** Insertion counter, breaking ties between records created in the same millisecond. */
  seq: number;
  /** When the record became terminal (backend clock); the start of its retention. */
  finishedMs: number | undefined;
}

/** Options of {@link MemoryJobStore}. */
export interface MemoryJobStoreOptions {
  now: () => number;
  /** Called when a record is deleted or forgotten, so the job's events can go with it. */
  onForget: (jobId: string) => void;
}

/**
 * Job records in a Map. Every operation runs synchronously inside its promise, so a transition's
 * read-compare-write cannot interleave with another one: the compare-and-set is atomic.
 */
export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, StoredJob>();
  /** Sorted ascending by (createdMs, seq): `list` walks it from the end and stops at the limit. */
  private ordered: StoredJob[] = [];
  private seq = 0;

  constructor(private readonly opts: MemoryJobStoreOptions) {}

  create(record: JobRecord): Promise<void> {
    return settle(() => {
      if (this.jobs.has(record.job_id)) {
        throw new AgentError('internal', {
          detail: `job ${record.job_id} already exists`,
          retryable: false,
          details: { job_id: record.job_id },
        });
      }
      const copy = copyJson(record);
      const parsed = Date.parse(copy.created_at);
      const stored: StoredJob = {
        record: copy,
        createdMs: Number.isNaN(parsed) ? this.opts.now() : parsed,
        seq: this.seq++,
        finishedMs: isTerminal(copy.status) ? this.opts.now() : undefined,
      };
      this.jobs.set(copy.job_id, stored);
      this.insertOrdered(stored);
    });
  }

  get(jobId: string): Promise<JobRecord | undefined> {
    return settle(() => {
      const stored = this.jobs.get(jobId);
      return stored === undefined ? undefined : copyJson(stored.record);
    });
  }

  transition(jobId: string, from: readonly JobStatus[], patch: JobPatch): Promise<JobRecord | undefined> {
    return settle(() => {
      const stored = this.jobs.get(jobId);
      if (stored === undefined || !from.includes(stored.record.status)) return undefined;
      // A patch key set to undefined clears the field (the JSON copy drops it), as in a JSON store.
      const next = copyJson({ ...stored.record, ...patch });
      const wasTerminal = isTerminal(stored.record.status);
      stored.record = next;
      if (!isTerminal(next.status)) stored.finishedMs = undefined;
      else if (!wasTerminal) stored.finishedMs = this.opts.now();
      return copyJson(next);
    });
  }

  delete(jobId: string): Promise<void> {
    return settle(() => {
      const stored = this.jobs.get(jobId);
      if (stored === undefined) return;
      this.jobs.delete(jobId);
      const index = this.ordered.indexOf(stored);
      if (index >= 0) this.ordered.splice(index, 1);
      this.opts.onForget(jobId);
    });
  }

  list(filter: JobListFilter): Promise<JobRecord[]> {
    return settle(() => {
      const out: JobRecord[] = [];
      for (let i = this.ordered.length - 1; i >= 0 && out.length < filter.limit; i--) {
        const stored = this.ordered[i];
        if (stored === undefined) continue;
        const { record } = stored;
        if (filter.tenantId !== undefined && record.tenant_id !== filter.tenantId) continue;
        if (filter.status !== undefined && record.status !== filter.status) continue;
        out.push(copyJson(record));
      }
      return out;
    });
  }

  /** True when a record with this id is held. */
  has(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  /** Number of records held. */
  get size(): number {
    return this.jobs.size;
  }

  /** Forgets every record that became terminal before `cutoffMs`; returns how many. */
  forgetFinishedBefore(cutoffMs: number): number {
    const forgotten: string[] = [];
    for (const [jobId, stored] of this.jobs) {
      if (stored.finishedMs !== undefined && stored.finishedMs < cutoffMs) forgotten.push(jobId);
    }
    if (forgotten.length === 0) return 0;
    for (const jobId of forgotten) this.jobs.delete(jobId);
    this.ordered = this.ordered.filter((stored) => this.jobs.get(stored.record.job_id) === stored);
    for (const jobId of forgotten) this.opts.onForget(jobId);
    return forgotten.length;
  }

  /** Binary insertion; records normally arrive in creation order, so this is an append. */
  private insertOrdered(stored: StoredJob): void {
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = this.ordered[mid];
      if (other !== undefined && compareStored(other, stored) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.ordered.splice(lo, 0, stored);
  }
}

function compareStored(a: StoredJob, b: StoredJob): number {
  return a.createdMs - b.createdMs || a.seq - b.seq;
}
