import { describe, expect, it } from 'vitest';
import { AgentError } from '../contract/errors.js';
import { formatTraceparent, parseTraceparent, startTrace, traceHeaders } from './tracing.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;
const HEADER_RE = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;

describe('parseTraceparent', () => {
  it('reads a valid version-00 header', () => {
    expect(parseTraceparent(VALID)).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, sampled: true });
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-00`)).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      sampled: false,
    });
  });

  it('reads only the sampled bit of the flags', () => {
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-09`)?.sampled).toBe(true);
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-02`)?.sampled).toBe(false);
  });

  it('tolerates surrounding optional whitespace', () => {
    expect(parseTraceparent(` ${VALID}\t`)?.traceId).toBe(TRACE_ID);
  });

  it('accepts future versions by their first four fields, with or without more after a dash', () => {
    expect(parseTraceparent(`cc-${TRACE_ID}-${SPAN_ID}-01`)).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      sampled: true,
    });
    expect(parseTraceparent(`cc-${TRACE_ID}-${SPAN_ID}-01-what-the-future-will-be-like`)).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      sampled: true,
    });
  });

  it.each([
    ['empty', ''],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['upper-case trace id', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['upper-case span id', `00-${TRACE_ID}-${SPAN_ID.toUpperCase()}-01`],
    ['upper-case version', `0A-${TRACE_ID}-${SPAN_ID}-01`],
    ['upper-case flags', `00-${TRACE_ID}-${SPAN_ID}-0A`],
    ['version 00 with trailing data', `${VALID}-extra`],
    ['future version with trailing data not after a dash', `cc-${TRACE_ID}-${SPAN_ID}-01.x`],
    ['short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['long span id', `00-${TRACE_ID}-${SPAN_ID}0-01`],
    ['one-digit flags', `00-${TRACE_ID}-${SPAN_ID}-1`],
    ['non-hex characters', `00-${TRACE_ID.slice(0, 31)}g-${SPAN_ID}-01`],
    ['wrong separator', `00_${TRACE_ID}_${SPAN_ID}_01`],
    ['missing field', `00-${TRACE_ID}-01`],
    ['two headers joined by a comma', `${VALID},${VALID}`],
  ])('rejects %s', (_name, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });
});

describe('formatTraceparent', () => {
  it('formats version 00 with the sampled flag', () => {
    expect(formatTraceparent(TRACE_ID, SPAN_ID, true)).toBe(VALID);
    expect(formatTraceparent(TRACE_ID, SPAN_ID, false)).toBe(`00-${TRACE_ID}-${SPAN_ID}-00`);
  });

  it('round-trips through parseTraceparent', () => {
    expect(parseTraceparent(formatTraceparent(TRACE_ID, SPAN_ID, false))).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      sampled: false,
    });
  });

  it.each([
    ['all-zero trace id', '0'.repeat(32), SPAN_ID],
    ['upper-case trace id', TRACE_ID.toUpperCase(), SPAN_ID],
    ['short span id', TRACE_ID, SPAN_ID.slice(1)],
    ['all-zero span id', TRACE_ID, '0'.repeat(16)],
  ])('refuses an invalid id (%s)', (_name, traceId, spanId) => {
    expect(() => formatTraceparent(traceId, spanId, true)).toThrow(AgentError);
  });
});

describe('startTrace', () => {
  it('continues a valid incoming trace with a new span whose parent is the caller', () => {
    const ctx = startTrace(VALID);
    expect(ctx.traceId).toBe(TRACE_ID);
    expect(ctx.parentSpanId).toBe(SPAN_ID);
    expect(ctx.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(ctx.spanId).not.toBe(SPAN_ID);
    expect(ctx.sampled).toBe(true);
    expect(ctx.traceparent).toBe(`00-${TRACE_ID}-${ctx.spanId}-01`);
  });

  it('keeps the caller’s not-sampled decision', () => {
    const ctx = startTrace(`00-${TRACE_ID}-${SPAN_ID}-00`);
    expect(ctx.sampled).toBe(false);
    expect(ctx.traceparent).toBe(`00-${TRACE_ID}-${ctx.spanId}-00`);
  });

  it('answers a future-version header in version 00', () => {
    const ctx = startTrace(`cc-${TRACE_ID}-${SPAN_ID}-01-more`);
    expect(ctx.traceId).toBe(TRACE_ID);
    expect(ctx.traceparent).toMatch(HEADER_RE);
  });

  it.each([
    ['absent', undefined],
    ['invalid', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['repeated header', [VALID, VALID]],
    ['empty header list', []],
  ])('starts a new sampled trace when the header is %s', (_name, header) => {
    const ctx = startTrace(header);
    expect(ctx.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(ctx.traceId).not.toBe(TRACE_ID);
    expect(ctx.parentSpanId).toBeUndefined();
    expect(ctx.sampled).toBe(true);
    expect(ctx.traceparent).toBe(`00-${ctx.traceId}-${ctx.spanId}-01`);
    expect(parseTraceparent(ctx.traceparent)).toEqual({
      traceId: ctx.traceId,
      spanId: ctx.spanId,
      sampled: true,
    });
  });

  it('accepts a single-element header list', () => {
    expect(startTrace([VALID]).traceId).toBe(TRACE_ID);
  });

  it('makes fresh ids every time', () => {
    const a = startTrace();
    const b = startTrace();
    expect(a.traceId).not.toBe(b.traceId);
    expect(a.spanId).not.toBe(b.spanId);
    const c = startTrace(VALID);
    const d = startTrace(VALID);
    expect(c.spanId).not.toBe(d.spanId);
  });
});

describe('traceHeaders', () => {
  it('carries this span downstream', () => {
    const ctx = startTrace(VALID);
    const headers = traceHeaders(ctx);
    expect(headers).toEqual({ traceparent: ctx.traceparent });
    // The next hop sees this span as its parent.
    const next = startTrace(headers.traceparent);
    expect(next.traceId).toBe(TRACE_ID);
    expect(next.parentSpanId).toBe(ctx.spanId);
  });
});
