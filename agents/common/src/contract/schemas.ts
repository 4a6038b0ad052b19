import { z } from 'zod';

/** The wire-format version every message carries. Bump on any incompatible change. */
export const SCHEMA_VERSION = 'agentapi.v1' as const;

const schemaTag = z.literal(SCHEMA_VERSION).describe('Message schema version');

/** Tenant identifiers: short, URL-safe, never free text (they end up in keys and logs). */
export const TenantId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'tenant id must be 1-64 chars of [A-Za-z0-9._-]');

/** A job kind name such as `plan.create`. */
export const JobKindName = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'kind must match ^[a-z][a-z0-9_.-]{0,63}$');

/** Lifecycle states of a job. Terminal: succeeded, failed, cancelled, expired. */
export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'expired']);
export type JobStatus = z.infer<typeof JobStatus>;

/** The statuses after which a job never changes again. */
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'expired',
]);

/** True when a job in this status will never change again. */
export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** Body of `POST /v1/jobs`. */
export const JobRequest = z
  .object({
    schema: schemaTag.optional(),
    kind: JobKindName,
    input: z
      .record(z.string(), z.unknown())
      .describe('Kind-specific input, validated against the kind schema'),
    deadline_ms: z
      .number()
      .int()
      .positive()
      .max(24 * 3600 * 1000)
      .optional()
      .describe('Time budget from acceptance, in milliseconds'),
    deadline_at: z.iso
      .datetime()
      .optional()
      .describe('Absolute deadline (RFC 3339); the earlier of the two wins'),
    max_attempts: z.number().int().min(1).max(20).optional(),
    parent_job_id: z.string().max(128).optional(),
    metadata: z.record(z.string().max(64), z.string().max(256)).optional(),
  })
  .strict();
export type JobRequest = z.infer<typeof JobRequest>;

/** RFC 9457 problem details, with our stable `code` and the request's `trace_id`. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    code: z.string(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    trace_id: z.string(),
    retryable: z.boolean().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .loose();
export type Problem = z.infer<typeof Problem>;

/** The durable record of one job. */
export const JobRecord = z.object({
  schema: schemaTag,
  job_id: z.string(),
  agent: z.string(),
  kind: JobKindName,
  tenant_id: TenantId,
  status: JobStatus,
  input: z.record(z.string(), z.unknown()),
  result: z.unknown().optional(),
  error: Problem.optional(),
  attempts: z.number().int().min(0),
  max_attempts: z.number().int().min(1),
  created_at: z.iso.datetime(),
  started_at: z.iso.datetime().optional(),
  finished_at: z.iso.datetime().optional(),
  deadline_at: z.iso.datetime(),
  trace_id: z.string(),
  idempotency_key: z.string().optional(),
  parent_job_id: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});
export type JobRecord = z.infer<typeof JobRecord>;

/** Event types; the SSE `event:` field carries the type. */
export const JobEventType = z.enum([
  'job.queued',
  'job.started',
  'job.retrying',
  'step.started',
  'step.completed',
  'token',
  'log',
  'job.cancel_requested',
  'job.succeeded',
  'job.failed',
  'job.cancelled',
  'job.expired',
]);
export type JobEventType = z.infer<typeof JobEventType>;

/** Event types that end a job's stream. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<JobEventType> = new Set([
  'job.succeeded',
  'job.failed',
  'job.cancelled',
  'job.expired',
]);

/** One event in a job's stream; `id` is monotonic per job, starting at 1. */
export const JobEvent = z.object({
  schema: schemaTag,
  id: z.number().int().positive(),
  job_id: z.string(),
  type: JobEventType,
  at: z.iso.datetime(),
  data: z.record(z.string(), z.unknown()),
});
export type JobEvent = z.infer<typeof JobEvent>;

/** An entry of the dead-letter queue `agent.<name>.dlq`. */
export const DeadLetter = z.object({
  schema: schemaTag,
  job_id: z.string(),
  queue: z.string(),
  tenant_id: TenantId,
  kind: JobKindName,
  error: Problem,
  attempts: z.number().int(),
  trace_id: z.string(),
  dead_at: z.iso.datetime(),
  redriven_at: z.iso.datetime().optional(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

/** One job kind an agent accepts, with its JSON Schemas and an example input. */
export const KindDescriptor = z.object({
  kind: JobKindName,
  description: z.string(),
  input_schema: z.record(z.string(), z.unknown()),
  output_schema: z.record(z.string(), z.unknown()),
  example: z.record(z.string(), z.unknown()),
});
export type KindDescriptor = z.infer<typeof KindDescriptor>;

/** `GET /v1/agent`: what an agent is and what it accepts. */
export const AgentDescriptor = z.object({
  schema: schemaTag,
  name: z.string(),
  version: z.string(),
  capability: z.string(),
  description: z.string(),
  kinds: z.array(KindDescriptor).min(1),
});
export type AgentDescriptor = z.infer<typeof AgentDescriptor>;

/** The 202 (and replayed) answer to a job submission. */
export const JobAccepted = z.object({
  schema: schemaTag,
  job_id: z.string(),
  status: JobStatus,
  location: z.string(),
  events: z.string(),
});
export type JobAccepted = z.infer<typeof JobAccepted>;

/** Every schema that is part of the public contract, by file name. */
export const CONTRACT_SCHEMAS = {
  'job-request': JobRequest,
  'job-record': JobRecord,
  'job-event': JobEvent,
  'job-accepted': JobAccepted,
  problem: Problem,
  'agent-descriptor': AgentDescriptor,
  'dead-letter': DeadLetter,
} as const;
