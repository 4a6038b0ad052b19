/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) `traceparent` propagation: continue
 * the caller's trace when its header is valid, start a new one otherwise, and name this hop's
 * span in the header sent downstream.
 */
import { randomBytes } from 'node:crypto';
import { AgentError } from '../contract/errors.js';

/** This hop's place in a distributed trace. */
export interface TraceContext {
  /** 32 lowercase hex digits, shared by every hop of the trace. */
  traceId: string;
  /** 16 lowercase hex digits naming this hop's span. */
  spanId: string;
  /** The caller's span, when the trace was continued from an incoming header. */
  parentSpanId?: string;
  /** Whether the caller (or this service, for a new trace) decided to record the trace. */
  sampled: boolean;
  /** The `traceparent` header value naming this span, to send on downstream calls. */
  traceparent: string;
}

/** The fields of a valid `traceparent` header. */
export interface ParsedTraceparent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

/** The header name, lower-case as Node exposes incoming headers. */
export const TRACEPARENT_HEADER = 'traceparent';

// Lower-case hex only: the spec makes upper-case invalid. Anything after the fourth field is
// allowed only for future versions and must start with "-".
const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const TRACE_ID_RE = /^[0-9a-f]{32}$/;
const SPAN_ID_RE = /^[0-9a-f]{16}$/;
const ALL_ZERO_RE = /^0+$/;
const SAMPLED_FLAG = 0x01;

/** Parses a `traceparent` value; undefined when the spec says to ignore it and restart the trace. */
export function parseTraceparent(h: string): ParsedTraceparent | undefined {
  // HTTP strips optional whitespace around field values; tolerate it here too.
  const m = TRACEPARENT_RE.exec(h.replace(/^[ \t]+|[ \t]+$/g, ''));
  if (m === null) return undefined;
  const [, version = '', traceId = '', spanId = '', flags = '', rest] = m;
  if (version === 'ff') return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  if (ALL_ZERO_RE.test(traceId) || ALL_ZERO_RE.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & SAMPLED_FLAG) === SAMPLED_FLAG };
}

/** Formats a version-00 `traceparent` value; throws on ids the spec would reject. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  if (!TRACE_ID_RE.test(traceId) || ALL_ZERO_RE.test(traceId)) {
    throw new AgentError('internal', {
      detail: 'trace id must be 32 lowercase hex digits, not all zero',
      retryable: false,
    });
  }
  if (!SPAN_ID_RE.test(spanId) || ALL_ZERO_RE.test(spanId)) {
    throw new AgentError('internal', {
      detail: 'span id must be 16 lowercase hex digits, not all zero',
      retryable: false,
    });
  }
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** Random non-zero lowercase hex id of `bytes` bytes. */
function randomId(bytes: number): string {
  for (;;) {
    const id = randomBytes(bytes).toString('hex');
    if (!ALL_ZERO_RE.test(id)) return id;
  }
}

/**
 * Starts this hop's span: a valid incoming header continues its trace (same trace id and sampled
 * flag, its span as parent); an absent, invalid or repeated header starts a new, sampled trace.
 */
export function startTrace(incomingTraceparent?: string | string[]): TraceContext {
  const spanId = randomId(8);
  const parent = singleHeader(incomingTraceparent);
  const parsed = parent === undefined ? undefined : parseTraceparent(parent);
  if (parsed === undefined) {
    const traceId = randomId(16);
    return { traceId, spanId, sampled: true, traceparent: formatTraceparent(traceId, spanId, true) };
  }
  return {
    traceId: parsed.traceId,
    spanId,
    parentSpanId: parsed.spanId,
    sampled: parsed.sampled,
    traceparent: formatTraceparent(parsed.traceId, spanId, parsed.sampled),
  };
}

// More than one traceparent field is ambiguous; the spec's test suite expects a restart.
function singleHeader(h: string | string[] | undefined): string | undefined {
  if (Array.isArray(h)) return h.length === 1 ? h[0] : undefined;
  return h;
}

/** Headers that carry this span to a downstream call (merge into `fetch`'s `headers`). */
export function traceHeaders(ctx: TraceContext): Record<string, string> {
  return { [TRACEPARENT_HEADER]: ctx.traceparent };
}
