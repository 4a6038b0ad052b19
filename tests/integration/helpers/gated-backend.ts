/**
 * A job backend that holds the first call of one intake step until the test opens a gate, so a
 * fault (a cut connection) can be made to land at an exact point of an intake.
 */
import type { JobBackend, JobStore, IdempotencyStore } from '../../../agents/common/src/ports/job-backend.js';

/** Intake steps that can be held. */
export type GatePoint = 'store.create' | 'idempotency.complete';

/** The wrapped backend, a promise that resolves when the held call arrived, and its opener. */
export interface GatedBackend {
  backend: JobBackend;
  entered: Promise<void>;
  open(): void;
}

/** Wraps `inner`: the first call to `point` waits until `open()`, then goes on to the real backend. */
export function gateBackend(inner: JobBackend, point: GatePoint): GatedBackend {
  let arrive: () => void = () => undefined;
  const entered = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let used = false;
  const hold = async (at: GatePoint): Promise<void> => {
    if (at !== point || used) return;
    used = true;
    arrive();
    await opened;
  };
  const { store, idempotency } = inner;
  const gatedStore: JobStore = {
    create: async (record) => {
      await hold('store.create');
      return store.create(record);
    },
    get: (jobId) => store.get(jobId),
    transition: (jobId, from, patch) => store.transition(jobId, from, patch),
    delete: (jobId) => store.delete(jobId),
    list: (filter) => store.list(filter),
  };
  const gatedIdempotency: IdempotencyStore = {
    claim: (key, fp, ttlMs, jobId) => idempotency.claim(key, fp, ttlMs, jobId),
    complete: async (key, entry, ttlMs) => {
      await hold('idempotency.complete');
      return idempotency.complete(key, entry, ttlMs);
    },
    release: (key, jobId) => idempotency.release(key, jobId),
  };
  const backend: JobBackend = {
    name: inner.name,
    store: gatedStore,
    events: inner.events,
    idempotency: gatedIdempotency,
    queue: inner.queue,
    dlq: inner.dlq,
    readiness: () => inner.readiness(),
    close: () => inner.close(),
  };
  return { backend, entered, open };
}
