/** One entry of the error catalogue: every code the platform can answer with. */
export interface ErrorCodeSpec {
  readonly status: number;
  readonly title: string;
  readonly retryable: boolean;
}

/**
 * The error catalogue. Codes are stable API: clients branch on them. Every code here must be
 * documented in docs/errors.md (a test enforces it).
 */
export const ERROR_CODES = {
  bad_request: { status: 400, title: 'Bad request', retryable: false },
  invalid_json: { status: 400, title: 'Malformed JSON body', retryable: false },
  validation_failed: { status: 400, title: 'Request does not match its schema', retryable: false },
  invalid_idempotency_key: { status: 400, title: 'Malformed Idempotency-Key header', retryable: false },
  invalid_tenant: { status: 400, title: 'Malformed tenant id', retryable: false },
  invalid_header: { status: 400, title: 'Malformed header', retryable: false },
  unauthorized: { status: 401, title: 'Missing or invalid credentials', retryable: false },
  forbidden: { status: 403, title: 'Not allowed', retryable: false },
  not_found: { status: 404, title: 'Not found', retryable: false },
  job_not_found: { status: 404, title: 'No such job', retryable: false },
  method_not_allowed: { status: 405, title: 'Method not allowed', retryable: false },
  not_acceptable: { status: 406, title: 'Not acceptable', retryable: false },
  idempotency_key_in_use: {
    status: 409,
    title: 'A request with this Idempotency-Key is still being processed',
    retryable: true,
  },
  job_not_cancellable: { status: 409, title: 'Job already finished', retryable: false },
  dead_letter_not_found: { status: 404, title: 'No such dead-lettered job', retryable: false },
  payload_too_large: { status: 413, title: 'Request body too large', retryable: false },
  unsupported_media_type: { status: 415, title: 'Unsupported media type', retryable: false },
  idempotency_key_mismatch: {
    status: 422,
    title: 'Idempotency-Key reused with a different request body',
    retryable: false,
  },
  unknown_kind: { status: 422, title: 'This agent does not accept that job kind', retryable: false },
  invalid_input: { status: 422, title: 'Job input does not match the kind schema', retryable: false },
  deadline_invalid: { status: 422, title: 'Deadline is already in the past', retryable: false },
  quota_exceeded: { status: 429, title: 'Tenant quota exceeded', retryable: true },
  headers_too_large: { status: 431, title: 'Request headers too large', retryable: false },
  uri_too_long: { status: 414, title: 'Request URI too long', retryable: false },
  internal: { status: 500, title: 'Internal error', retryable: true },
  job_failed: { status: 500, title: 'Job failed', retryable: true },
  output_invalid: {
    status: 500,
    title: 'Capability produced output that violates its schema',
    retryable: false,
  },
  dependency_failed: { status: 502, title: 'A dependency answered with an error', retryable: true },
  queue_full: { status: 503, title: 'Queue is full; retry later', retryable: true },
  shutting_down: { status: 503, title: 'Service is shutting down', retryable: true },
  not_ready: { status: 503, title: 'Service is not ready', retryable: true },
  dependency_unavailable: { status: 503, title: 'A dependency is unreachable', retryable: true },
  deadline_exceeded: { status: 504, title: 'Deadline exceeded', retryable: false },
  cancelled: { status: 499, title: 'Job was cancelled', retryable: false },
  tool_denied: { status: 403, title: 'Tool call denied by the allow-list', retryable: false },
  model_unavailable: { status: 503, title: 'Model server unreachable or model not loaded', retryable: true },
  model_error: { status: 502, title: 'Model server returned an error', retryable: true },
} as const satisfies Record<string, ErrorCodeSpec>;

/** A stable error code from the catalogue. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options for {@link AgentError}. */
export interface AgentErrorOptions {
  detail?: string;
  /** Overrides the catalogue default (e.g. a handler knows a dependency error is permanent). */
  retryable?: boolean;
  /** JSON-safe context, returned to clients in the problem body. */
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Seconds a client should wait before retrying (sets `Retry-After`). */
  retryAfterS?: number;
  /** Per-field validation messages. */
  errors?: { path: string; message: string }[];
}

/** The one error type of the platform: a stable code, its HTTP status and whether a retry may help. */
export class AgentError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterS: number | undefined;
  readonly errors: { path: string; message: string }[] | undefined;

  constructor(code: ErrorCode, opts: AgentErrorOptions = {}) {
    const spec: ErrorCodeSpec = ERROR_CODES[code];
    super(opts.detail ?? spec.title, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AgentError';
    this.code = code;
    this.status = spec.status;
    this.retryable = opts.retryable ?? spec.retryable;
    this.details = opts.details;
    this.retryAfterS = opts.retryAfterS;
    this.errors = opts.errors;
  }
}

/** Marks a failure that no retry can fix (BullMQ's UnrecoverableError idea). */
export function nonRetryable(code: ErrorCode, detail: string, cause?: unknown): AgentError {
  return new AgentError(code, { detail, retryable: false, cause });
}

/** True when the value is an {@link AgentError}. */
export function isAgentError(err: unknown): err is AgentError {
  return err instanceof AgentError;
}

/** Wraps anything thrown into an AgentError, keeping AgentErrors as they are. */
export function toAgentError(err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AgentError('internal', { detail: message, cause: err });
}
