import type { DeadLetter, JobEvent, JobEventType, JobRecord, JobStatus } from '../contract/schemas.js';
import type { DependencyCheck } from './readiness.js';

/**
 * The job backend port: everything the job engine keeps outside its own memory. Split into five
 * small stores so one system need not do all of them (Redis for the queue, events and idempotency;
 * Postgres for the durable record). Every adapter must pass `runJobBackendConformance`.
 */
export interface JobBackend {
  /** Adapter name, e.g. `memory`, `redis`. */
  readonly name: string;
  readonly store: JobStore;
  readonly events: EventLog;
  readonly idempotency: IdempotencyStore;
  readonly queue: WorkQueue;
  readonly dlq: DeadLetterStore;
  /** Readiness checks for the systems this backend talks to. */
  readiness(): DependencyCheck[];
  /** Releases connections and timers. Idempotent. */
  close(): Promise<void>;
}

/**
 * Fields a state transition may change. A key present with the value `undefined` clears that field
 * (a redriven job loses its old error and finish time).
 */
export type JobPatch = Partial<
  Pick<
    JobRecord,
    'status' | 'result' | 'error' | 'attempts' | 'max_attempts' | 'deadline_at' | 'started_at' | 'finished_at'
  >
>;

/** Filter for {@link JobStore.list}. */
export interface JobListFilter {
  tenantId?: string;
  status?: JobStatus;
  limit: number;
}

/** The record of every job. */
export interface JobStore {
  /** Inserts a new record; rejects when the id exists. */
  create(record: JobRecord): Promise<void>;
  /** The record, or undefined. */
  get(jobId: string): Promise<JobRecord | undefined>;
  /**
   * Compare-and-set: applies `patch` only if the record's current status is one of `from`.
   * Returns the updated record, or undefined when the record is missing or the guard failed.
   * This is how replicas race safely for a job (only one moves it queued → running).
   */
  transition(jobId: string, from: readonly JobStatus[], patch: JobPatch): Promise<JobRecord | undefined>;
  /** Removes a record (used only to roll back an intake that was refused). */
  delete(jobId: string): Promise<void>;
  /** Newest first. */
  list(filter: JobListFilter): Promise<JobRecord[]>;
}

/** Input of {@link EventLog.append}; the log assigns `id` and `at`. */
export interface NewJobEvent {
  type: JobEventType;
  data: Record<string, unknown>;
}

/** Called for each event appended after subscription, in id order. */
export type EventListener = (event: JobEvent) => void;

/** Per-job append-only event log with monotonic ids (1, 2, 3 …) and live subscription. */
export interface EventLog {
  /** Appends and returns the stored event with its id. Ids are gap-free per job. */
  append(jobId: string, event: NewJobEvent): Promise<JobEvent>;
  /** Events with id > afterId, in order, at most `limit`. */
  read(jobId: string, afterId: number, limit?: number): Promise<JobEvent[]>;
  /**
   * Delivers events appended after the returned promise resolves. Callers that need history
   * subscribe first, then `read`, and drop duplicates by id.
   */
  subscribe(jobId: string, listener: EventListener): Promise<() => void>;
}

/** What a stored idempotency key holds. */
export interface IdempotencyEntry {
  fingerprint: string;
  /** `pending` while the first request is in flight; `completed` once its response is stored. */
  state: 'pending' | 'completed';
  /** The job the key is bound to: set by the claim, before any record exists. */
  jobId?: string;
  /** Epoch ms of the claim, so a claim whose request died can be told from one still in flight. */
  claimedAt?: number;
  response?: { status: number; body: unknown };
}

/** Result of {@link IdempotencyStore.claim}. */
export type IdempotencyClaim = { claimed: true } | { claimed: false; entry: IdempotencyEntry };

/**
 * Idempotency-Key records (IETF httpapi-idempotency-key-header). Keys arrive already tenant-scoped.
 * A claim binds the key to a job id up front; `complete` and `release` act only for that job id, so
 * a request whose claim was taken over can neither complete nor drop its successor's claim.
 */
export interface IdempotencyStore {
  /** Atomically claims the key for this request fingerprint and job id, or returns who holds it. */
  claim(scopedKey: string, fingerprint: string, ttlMs: number, jobId: string): Promise<IdempotencyClaim>;
  /** Stores the response of the request that holds the claim for `entry.jobId`. */
  complete(
    scopedKey: string,
    entry: { jobId: string; response: { status: number; body: unknown } },
    ttlMs: number,
  ): Promise<void>;
  /** Forgets a pending claim held for `jobId` (the request was refused, so a retry may run it). */
  release(scopedKey: string, jobId: string): Promise<void>;
}

/** One unit of work in the queue: a pointer to a job record. */
export interface QueueItem {
  jobId: string;
  tenantId: string;
  kind: string;
  /** Epoch ms when the item became due (after any delay): the start of its queue time. */
  enqueuedAt: number;
}

/** Counts of the queue's contents. */
export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
}

/** Options of {@link WorkQueue.add}. */
export interface AddOptions {
  /** Deliver no earlier than this many ms from now (retry backoff). */
  delayMs?: number;
  /** Refuse (return false, add nothing) when `waiting + delayed` is at least this. */
  maxDepth?: number;
}

/** Handler of delivered items. Resolving acknowledges; rejecting makes the item deliverable again. */
export type QueueHandler = (item: QueueItem) => Promise<void>;

/** A running consumer. */
export interface QueueConsumer {
  /**
   * Stops taking new items and waits up to `timeoutMs` for handlers in flight. Items whose handler
   * has not finished by then stay unacknowledged, so they are delivered again (to another replica).
   */
  stop(timeoutMs: number): Promise<void>;
}

/** A work queue with at-least-once delivery (`agent.<name>`). */
export interface WorkQueue {
  /** Queue name, `agent.<name>`. */
  readonly name: string;
  /** Adds an item; false (and nothing added) when the queue is at `maxDepth`. */
  add(item: QueueItem, opts?: AddOptions): Promise<boolean>;
  /** Starts delivering items to `handler`, at most `concurrency` at once. */
  consume(handler: QueueHandler, opts: { concurrency: number }): QueueConsumer;
  /** Current counts. */
  depth(): Promise<QueueDepth>;
}

/** The dead-letter queue `agent.<name>.dlq`. */
export interface DeadLetterStore {
  /** Queue name, `agent.<name>.dlq`. */
  readonly name: string;
  put(entry: DeadLetter): Promise<void>;
  /** Newest first. */
  list(filter: { tenantId?: string; limit: number }): Promise<DeadLetter[]>;
  get(jobId: string): Promise<DeadLetter | undefined>;
  /** Atomically removes and returns the entry, so a redrive happens once even if asked twice. */
  take(jobId: string): Promise<DeadLetter | undefined>;
}
