import { createHash } from 'node:crypto';
import { AgentError } from '../contract/errors.js';

/** Longest accepted Idempotency-Key value, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * Parses an `Idempotency-Key` header. The IETF draft defines it as a Structured Field string
 * (`"abc"`); bare tokens are accepted too since many clients send them unquoted.
 * Returns undefined when absent; throws `invalid_idempotency_key` when malformed.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) {
    throw new AgentError('invalid_idempotency_key', { detail: 'Idempotency-Key must be sent once' });
  }
  let value = header.trim();
  if (value.startsWith('"') || value.endsWith('"')) {
    if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) {
      throw new AgentError('invalid_idempotency_key', { detail: 'Idempotency-Key has unbalanced quotes' });
    }
    value = value.slice(1, -1);
    if (/(^|[^\\])"/.test(value) || /\\(?!["\\])/.test(value)) {
      throw new AgentError('invalid_idempotency_key', { detail: 'Idempotency-Key is not a valid sf-string' });
    }
    value = value.replace(/\\(["\\])/g, '$1');
  }
  if (value.length === 0 || value.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new AgentError('invalid_idempotency_key', {
      detail: `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
    });
  }
  if (!/^[\x20-\x7e]+$/.test(value)) {
    throw new AgentError('invalid_idempotency_key', { detail: 'Idempotency-Key must be printable ASCII' });
  }
  return value;
}

/** JSON with object keys sorted, so equal bodies hash equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Fingerprint of a request body, compared when a key is reused. */
export function fingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** The stored key: scoped by agent and tenant so tenants never collide or see each other's keys. */
export function scopeKey(agent: string, tenantId: string, key: string): string {
  return `${agent}:${tenantId}:${key}`;
}

/** The key a job uses for a call it makes at `step`; stable across retries of the parent. */
export function deriveChildKey(parentJobId: string, step: string): string {
  return `${parentJobId}:${step}`;
}
