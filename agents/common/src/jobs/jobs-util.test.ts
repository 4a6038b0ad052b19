import { describe, expect, it } from 'vitest';
import { AgentError } from '../contract/errors.js';
import { backoffDelay } from './backoff.js';
import { canonicalJson, deriveChildKey, fingerprint, parseIdempotencyKey, scopeKey } from './idempotency.js';
import { TenantRateLimiter } from './rate-limit.js';

describe('parseIdempotencyKey', () => {
  it('accepts sf-strings and bare tokens', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe(
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    );
    expect(parseIdempotencyKey('abc-123')).toBe('abc-123');
    expect(parseIdempotencyKey('"a \\"quoted\\" key"')).toBe('a "quoted" key');
  });
  it.each([[''], ['""'], ['"open'], ['close"'], ['"a"b"'], ['x'.repeat(256)], ['tab\there'], ['ünï']])(
    'rejects %j',
    (bad) => {
      expect(() => parseIdempotencyKey(bad)).toThrow(AgentError);
      try {
        parseIdempotencyKey(bad);
      } catch (e) {
        expect((e as AgentError).code).toBe('invalid_idempotency_key');
      }
    },
  );
  it('rejects a repeated header', () => {
    expect(() => parseIdempotencyKey(['a', 'b'])).toThrow(/once/);
  });
});

describe('fingerprints and keys', () => {
  it('ignores key order but not values', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
    expect(fingerprint({ a: 1, b: 2 })).toBe(fingerprint({ b: 2, a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
    expect(scopeKey('planner', 't1', 'k')).not.toBe(scopeKey('planner', 't2', 'k'));
    expect(deriveChildKey('job-1', 'generate')).toBe('job-1:generate');
  });
});

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and jitters within the upper half', () => {
    const p = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(p, 1, () => 0)).toBe(50);
    expect(backoffDelay(p, 1, () => 1)).toBe(100);
    expect(backoffDelay(p, 3, () => 1)).toBe(400);
    expect(backoffDelay(p, 10, () => 1)).toBe(1000);
    expect(backoffDelay(p, 10, () => 0)).toBe(500);
    const samples = new Set(Array.from({ length: 50 }, () => backoffDelay(p, 4)));
    expect(samples.size).toBeGreaterThan(5);
    for (const s of samples) expect(s).toBeGreaterThanOrEqual(400);
  });
});

describe('TenantRateLimiter', () => {
  it('allows a burst, then refills at the rate, per tenant', () => {
    let now = 0;
    const rl = new TenantRateLimiter(2, 3, () => now);
    expect([rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([0, 0, 0]);
    expect(rl.take('a')).toBe(1);
    expect(rl.take('b')).toBe(0);
    now += 500;
    expect(rl.take('a')).toBe(0);
    expect(rl.take('a')).toBeGreaterThan(0);
    expect(new TenantRateLimiter(0, 1).take('x')).toBe(0);
  });
});
