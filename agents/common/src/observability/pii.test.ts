import { describe, expect, it } from 'vitest';
import { REDACTED, isSensitiveKey, scrubText, scrubValue } from './pii.js';

describe('scrubText', () => {
  it.each([
    [
      'email',
      'write to jane.doe+test@mail.example.co.uk today',
      'jane.doe+test@mail.example.co.uk',
      REDACTED.email,
    ],
    ['international phone', 'call +44 20 7946 0958 now', '+44 20 7946 0958', REDACTED.phone],
    ['international phone, dashes', 'call +1-555-123-4567 now', '+1-555-123-4567', REDACTED.phone],
    ['international phone, area group', 'call +1 (555) 123-4567 now', '+1 (555) 123-4567', REDACTED.phone],
    ['compact E.164 phone', 'sms +4915112345678 sent', '+4915112345678', REDACTED.phone],
    ['URL-encoded phone', '/x?phone=%2B15551234567&a=1', '%2B15551234567', REDACTED.phone],
    ['US phone, parentheses', 'call (555) 123-4567 now', '(555) 123-4567', REDACTED.phone],
    ['US phone, dashes', 'call 555-123-4567 now', '555-123-4567', REDACTED.phone],
    ['US phone, dots', 'call 555.123.4567 now', '555.123.4567', REDACTED.phone],
    ['national phone with trunk 0', 'call 020 7946 0958 now', '020 7946 0958', REDACTED.phone],
    ['Visa, spaced', 'card 4111 1111 1111 1111 used', '4111 1111 1111 1111', REDACTED.card],
    ['Mastercard, dashed', 'card 5500-0000-0000-0004 used', '5500-0000-0000-0004', REDACTED.card],
    ['Amex, contiguous', 'card 378282246310005 used', '378282246310005', REDACTED.card],
    ['Amex, grouped 4-6-5', 'card 3782 822463 10005 used', '3782 822463 10005', REDACTED.card],
    ['IPv4 with port', 'from 203.0.113.7:8080', '203.0.113.7', REDACTED.ip],
    ['IPv6 compressed', 'from 2001:db8:85a3::8a2e:370:7334 ok', '2001:db8:85a3::8a2e:370:7334', REDACTED.ip],
    [
      'IPv6 full',
      'from 2001:0db8:0000:0000:0000:ff00:0042:8329 ok',
      '2001:0db8:0000:0000:0000:ff00:0042:8329',
      REDACTED.ip,
    ],
    ['IPv4-mapped IPv6', 'from ::ffff:198.51.100.4 ok', '::ffff:198.51.100.4', REDACTED.ip],
    ['IPv6 with zone', 'from fe80::1ff:fe23:4567:890a%eth0 ok', 'fe80::1ff:fe23:4567:890a%eth0', REDACTED.ip],
    ['bearer token', 'sent Bearer abc123.def-456_ghi', 'abc123.def-456_ghi', REDACTED.token],
    [
      'JWT',
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      REDACTED.jwt,
    ],
    [
      'OpenAI key',
      'key sk-proj-abcdefghijklmnopqrstuvwx12 used',
      'sk-proj-abcdefghijklmnopqrstuvwx12',
      REDACTED.apiKey,
    ],
    ['Stripe key', 'using sk_live_51H8abcdefghijklmnop', 'sk_live_51H8abcdefghijklmnop', REDACTED.apiKey],
    ['AWS key id', 'aws AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE', REDACTED.apiKey],
    [
      'GitHub token',
      'gh ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      REDACTED.apiKey,
    ],
    [
      'GitHub PAT',
      'gh github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
      REDACTED.apiKey,
    ],
    [
      'Slack token',
      'slack xoxb-123456789012-abcdefghijkl',
      'xoxb-123456789012-abcdefghijkl',
      REDACTED.apiKey,
    ],
    ['password k=v', 'login password=hunter2! failed', 'hunter2!', REDACTED.secret],
    [
      'hex api key k: v',
      'api_key: 9f86d081884c7d659a2feaa0c55ad015',
      '9f86d081884c7d659a2feaa0c55ad015',
      REDACTED.secret,
    ],
    ['base64 token k=v', 'token=AbCdEf0123456789GhIjKl', 'AbCdEf0123456789GhIjKl', REDACTED.secret],
    ['JSON secret with spaces', '{"client_secret":"s3cr3t value","x":1}', 's3cr3t value', REDACTED.secret],
    ['authorization header line', 'Authorization: Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz', REDACTED.secret],
    ['cookie header line', 'cookie: session=abc123; theme=dark', 'session=abc123', REDACTED.secret],
  ])('redacts %s', (_name, input, secret, marker) => {
    const out = scrubText(input);
    expect(out).not.toContain(secret);
    expect(out).toContain(marker);
  });

  it('keeps the text around a redaction', () => {
    expect(scrubText('mail jane@example.com, then call 555-123-4567.')).toBe(
      `mail ${REDACTED.email}, then call ${REDACTED.phone}.`,
    );
    expect(scrubText('password: "hunter2"')).toBe(`password: "${REDACTED.secret}"`);
  });

  it.each([
    ['ISO timestamp', '2024-05-01T12:34:56.789Z'],
    ['date and time', '2024-05-01 12:34:56'],
    ['UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['digit-only UUID', '12345678-1234-1234-1234-123456789012'],
    ['semver', 'v1.2.3'],
    ['bare semver', '10.20.30'],
    ['four-part build number', '10.0.19041.1'],
    ['duration', 'took 1234 ms'],
    ['epoch milliseconds', 'at 1714567890123'],
    ['epoch seconds', 'at 1714567890'],
    ['trace id in text', 'trace_id=4bf92f3577b34da6a3ce929d0e0e4736'],
    ['span id', 'span 00f067aa0ba902b7'],
    ['Luhn-invalid card-like number', '4111111111111112'],
    ['float', 'ratio 0.41111111111111113'],
    ['clock time', '12:34:56'],
    ['MAC address', 'aa:bb:cc:dd:ee:ff'],
    ['C++ scope', 'std::vector'],
    ['idempotency key UUID', 'idempotency_key=123e4567-e89b-12d3-a456-426614174000'],
    ['token count', 'max_tokens: 1024'],
    ['readable key name', 'cache key=tenant-42-jobs-queue-name'],
    ['prose about bearer auth', 'missing Bearer authentication header'],
    ['loopback IPv4', 'listening on 127.0.0.1:3000'],
    ['loopback IPv6', 'listening on ::1'],
    ['unspecified address', 'listening on 0.0.0.0:3000'],
    ['time zone offset', '2024-05-01T12:34:56+02:00'],
  ])('leaves a %s alone', (_name, input) => {
    expect(scrubText(input)).toBe(input);
  });

  it('is idempotent', () => {
    const once = scrubText(
      'password=x token=AbCdEf0123456789GhIjKl Authorization: Bearer abc123456 jane@example.com 203.0.113.7',
    );
    expect(once).not.toContain('jane@');
    expect(scrubText(once)).toBe(once);
  });

  it('stays linear on long adversarial input', () => {
    const inputs = [
      'a.'.repeat(100_000) + '@',
      'abcd:'.repeat(40_000),
      '+1 '.repeat(70_000),
      'password'.repeat(25_000),
      '"password": "' + 'x\\'.repeat(100_000),
    ];
    const started = performance.now();
    for (const s of inputs) scrubText(s);
    // Generous bound: catastrophic backtracking would take minutes, not milliseconds.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('isSensitiveKey', () => {
  it.each([
    'authorization',
    'Proxy-Authorization',
    'Cookie',
    'set-cookie',
    'X-API-Key',
    'api_key',
    'apiKey',
    'PASSWORD',
    'passwd',
    'secret',
    'token',
    'access_token',
    'refreshToken',
    'client_secret',
    'private_key',
    'db_password',
    'csrfToken',
  ])('treats %s as a credential', (key) => {
    expect(isSensitiveKey(key)).toBe(true);
  });

  it.each(['trace_id', 'tenant_id', 'max_tokens', 'tokenizer', 'keyspace', 'agent', 'msg'])(
    'does not treat %s as a credential',
    (key) => {
      expect(isSensitiveKey(key)).toBe(false);
    },
  );
});

describe('scrubValue', () => {
  it('scrubs nested strings and replaces credential fields wholesale at any depth', () => {
    const input = {
      user: { contact: ['jane@example.com', { phone: '+44 20 7946 0958' }] },
      headers: { Authorization: 'Basic dXNlcjpwYXNz', 'set-cookie': ['sid=1', 'b=2'], accept: '*/*' },
      deep: { a: { b: { c: { Access_Token: 'plain-looking' } } } },
      password: 1234,
      token: null,
      secret: false,
      count: 3,
    };
    expect(scrubValue(input)).toEqual({
      user: { contact: [REDACTED.email, { phone: REDACTED.phone }] },
      headers: { Authorization: REDACTED.secret, 'set-cookie': REDACTED.secret, accept: '*/*' },
      deep: { a: { b: { c: { Access_Token: REDACTED.secret } } } },
      password: REDACTED.secret,
      token: null,
      secret: false,
      count: 3,
    });
  });

  it('does not mutate its input', () => {
    const input = { email: 'jane@example.com', list: ['203.0.113.7'] };
    scrubValue(input);
    expect(input).toEqual({ email: 'jane@example.com', list: ['203.0.113.7'] });
  });

  it('copes with cycles and shared references', () => {
    const shared = { ip: '203.0.113.7' };
    const input: Record<string, unknown> = { a: shared, b: shared };
    input.self = input;
    const out = scrubValue(input) as Record<string, unknown>;
    expect(out.self).toBe(out);
    expect(out.a).toBe(out.b);
    expect(out.a).toEqual({ ip: REDACTED.ip });
  });

  it('scrubs Error message, stack, cause and own fields, keeping it an Error', () => {
    class HttpError extends Error {
      constructor(
        message: string,
        readonly url: string,
        readonly authorization: string,
      ) {
        super(message, { cause: new Error('upstream said jane@example.com') });
      }
    }
    const err = new HttpError(
      'failed for jane@example.com from 203.0.113.7',
      '/u?email=bob@example.com',
      'Bearer x',
    );
    const out = scrubValue(err);
    expect(out).toBeInstanceOf(HttpError);
    const copy = out as HttpError;
    expect(copy.message).toBe(`failed for ${REDACTED.email} from ${REDACTED.ip}`);
    expect(copy.stack).toContain(`failed for ${REDACTED.email}`);
    expect(copy.stack).not.toContain('jane@example.com');
    expect(copy.url).toBe(`/u?email=${REDACTED.email}`);
    expect(copy.authorization).toBe(REDACTED.secret);
    expect((copy.cause as Error).message).toBe(`upstream said ${REDACTED.email}`);
    expect(err.message).toContain('jane@example.com');
  });

  it('scrubs values that serialise through toJSON and keeps Dates', () => {
    const when = new Date('2024-05-01T00:00:00Z');
    const out = scrubValue({ url: new URL('https://x.test/?email=jane@example.com'), when }) as Record<
      string,
      unknown
    >;
    expect(out.url).toBe(`https://x.test/?email=${REDACTED.email}`);
    expect(out.when).toBe(when);
  });

  it('passes through primitives', () => {
    expect(scrubValue(42)).toBe(42);
    expect(scrubValue(null)).toBe(null);
    expect(scrubValue(undefined)).toBe(undefined);
    expect(scrubValue('jane@example.com')).toBe(REDACTED.email);
  });
});
