import type { z } from 'zod';
import type { JobEventType } from '../contract/schemas.js';
import type { Logger } from '../ports/logger.js';
import type { DependencyCheck } from '../ports/readiness.js';

/** What a capability handler gets besides its input. */
export interface JobContext {
  readonly jobId: string;
  readonly tenantId: string;
  readonly traceId: string;
  /** `traceparent` header value to send on calls this job makes (W3C Trace Context). */
  readonly traceparent: string;
  /** 1 on the first try. */
  readonly attempt: number;
  /** Epoch ms after which the job is expired. */
  readonly deadlineAt: number;
  /** Fires when the deadline passes, the job is cancelled or the service shuts down. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Milliseconds left until the deadline (never negative). */
  remainingMs(): number;
  /** Idempotency key for a call this job makes at `step`: stable across retries of this job. */
  idempotencyKey(step: string): string;
  /** Appends an event (e.g. `step.started`) to this job's stream. */
  emit(type: JobEventType, data: Record<string, unknown>): Promise<void>;
  /** Appends a generated text delta to this job's stream as a `token` event. */
  token(delta: string, data?: Record<string, unknown>): Promise<void>;
  /** Records the orchestrator's decision latency (job start → first step dispatched). */
  decided(): void;
}

/** One job kind with typed input and output. */
export interface KindDefinition<I, O> {
  readonly description: string;
  readonly input: z.ZodType<I>;
  readonly output: z.ZodType<O>;
  /** A valid input, shown in the descriptor and used by the contract tests. */
  readonly example: I & Record<string, unknown>;
  /** Attempts for this kind when the request does not say; defaults to the agent's config. */
  readonly maxAttempts?: number;
  readonly handler: (input: I, ctx: JobContext) => Promise<O>;
}

/** A kind with its types erased, as the engine stores it. */
export interface AnyKind {
  readonly description: string;
  readonly input: z.ZodType;
  readonly output: z.ZodType;
  readonly example: Record<string, unknown>;
  readonly maxAttempts?: number;
  readonly handler: (input: unknown, ctx: JobContext) => Promise<unknown>;
}

/** Declares a job kind; keeps the handler's types checked against the schemas. */
export function defineKind<I, O>(kind: KindDefinition<I, O>): AnyKind {
  return kind as unknown as AnyKind;
}

/** An agent: its identity and the job kinds it accepts. */
export interface AgentDefinition {
  readonly name: string;
  readonly version: string;
  /** The one capability it offers (retrieve, plan, generate, verify, orchestrate). */
  readonly capability: string;
  readonly description: string;
  readonly kinds: Readonly<Record<string, AnyKind>>;
  /** Dependencies `/ready` checks besides the job backend's. */
  readonly dependencies?: readonly DependencyCheck[];
}
