import type { JobStatus } from '../../contract/schemas.js';

/**
 * Every key and channel the Redis backend uses for one agent. All of them start with
 * `<prefix>:agent.<name>` (BullMQ's queue keys are `<prefix>:agent.<name>:…`; ours continue the name
 * with a dot), so one ACL pattern such as `~sutazai:agent.planner[.:]*` covers the agent's keys and
 * no other agent's.
 */
export class RedisKeys {
  /** `agent.<name>`: the BullMQ queue name. */
  readonly queueName: string;
  /** `agent.<name>.dlq`. */
  readonly dlqName: string;
  private readonly base: string;

  constructor(
    /** The BullMQ prefix and the first segment of every key. */
    readonly prefix: string,
    agent: string,
  ) {
    this.queueName = `agent.${agent}`;
    this.dlqName = `${this.queueName}.dlq`;
    this.base = `${prefix}:${this.queueName}`;
  }

  /** Hash holding one job record, a JSON value per field. */
  job(jobId: string): string {
    return `${this.jobPrefix}${jobId}`;
  }

  /** What {@link job} puts before the id (scripts build record keys from it). */
  get jobPrefix(): string {
    return `${this.base}.jobs:`;
  }

  /** Sorted set of job ids by creation time; the other indexes append `:t:<tenant>` / `:s:<status>`. */
  get jobIndex(): string {
    return `${this.base}.jobs.idx`;
  }

  /** Counter that orders jobs created in the same millisecond. */
  get jobSeq(): string {
    return `${this.base}.jobs.seq`;
  }

  /** The index to scan for a list filter. */
  jobIndexFor(tenantId: string | undefined, status: JobStatus | undefined): string {
    const tenant = tenantId === undefined ? '' : `:t:${tenantId}`;
    const state = status === undefined ? '' : `:s:${status}`;
    return `${this.jobIndex}${tenant}${state}`;
  }

  /** Stream of one job's events (entry ids `0-<event id>`). */
  events(jobId: string): string {
    return `${this.base}.events:${jobId}`;
  }

  /** Pub/sub channel that announces each appended event of one job. */
  eventChannel(jobId: string): string {
    return `${this.base}.events:${jobId}`;
  }

  /** Hash of one idempotency key. */
  idempotency(scopedKey: string): string {
    return `${this.base}.idem:${scopedKey}`;
  }

  /** Hash of dead letters by job id. */
  get dlqEntries(): string {
    return `${this.prefix}:${this.dlqName}:entries`;
  }

  /** Sorted set of dead letters in put order; per tenant with `:t:<tenant>` appended. */
  get dlqOrder(): string {
    return `${this.prefix}:${this.dlqName}:order`;
  }

  /** Put-order counter of the dead-letter queue. */
  get dlqSeq(): string {
    return `${this.prefix}:${this.dlqName}:seq`;
  }

  /** Per-tenant put order of dead letters. */
  dlqTenant(tenantId: string): string {
    return `${this.dlqOrder}:t:${tenantId}`;
  }
}
