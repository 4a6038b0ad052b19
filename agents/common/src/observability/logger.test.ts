import Fastify from 'fastify';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Logger } from '../ports/logger.js';
import { createLogger } from './logger.js';
import { REDACTED } from './pii.js';

/** Planted PII, one or more per category; none of these strings may reach the output. */
const PLANTED = {
  email: 'jane.doe@example.com',
  intlPhone: '+44 20 7946 0958',
  usPhone: '(555) 123-4567',
  dashedPhone: '555-987-6543',
  card: '4111 1111 1111 1111',
  dashedCard: '5500-0000-0000-0004',
  ipv4: '203.0.113.7',
  ipv6: '2001:db8:85a3::8a2e:370:7334',
  bearer: 'PlantedBearer.abc-123_xyz',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  openaiKey: 'sk-proj-PlantedOpenAiKey0123456789',
  stripeKey: 'sk_live_PlantedStripeKey0123',
  awsKey: 'AKIAPLANTEDAWSKEY123',
  githubToken: 'ghp_PlantedGithubToken0123456789abcdefgh',
  slackToken: 'xoxb-123456789012-PlantedSlack',
  password: 'Hunter2-Planted-Password',
  hexSecret: '9f86d081884c7d659a2feaa0c55ad015',
  clientSecret: 'Planted-Client-Secret',
  cookie: 'session=PlantedCookieValue',
  basicAuth: 'Basic UGxhbnRlZDpCYXNpYw==',
} as const;

/** Values that look like PII to a careless rule but must survive. */
const LOOK_ALIKES = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  iso: '2024-05-01T12:34:56.789Z',
  uuid: '123e4567-e89b-12d3-a456-426614174000',
  semver: '1.2.3',
  durationMs: 1234,
} as const;

interface Captured {
  destination: DestinationStream;
  lines: string[];
  records: () => Record<string, unknown>[];
}

function capture(): Captured {
  const lines: string[] = [];
  return {
    destination: { write: (s: string) => void lines.push(s) },
    lines,
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

function freeText(): string {
  return [
    `mail ${PLANTED.email}`,
    `call ${PLANTED.intlPhone}, ${PLANTED.usPhone} or ${PLANTED.dashedPhone}`,
    `cards ${PLANTED.card} / ${PLANTED.dashedCard}`,
    `from ${PLANTED.ipv4} and ${PLANTED.ipv6}`,
    `Bearer ${PLANTED.bearer}`,
    `jwt ${PLANTED.jwt}`,
    `keys ${PLANTED.openaiKey} ${PLANTED.stripeKey} ${PLANTED.awsKey} ${PLANTED.githubToken} ${PLANTED.slackToken}`,
    `password=${PLANTED.password} api_key: ${PLANTED.hexSecret}`,
    `{"client_secret":"${PLANTED.clientSecret}"}`,
  ].join('; ');
}

function expectClean(output: string): void {
  for (const [name, raw] of Object.entries(PLANTED)) {
    expect(output, `planted ${name} leaked`).not.toContain(raw);
  }
}

function expectCorrelationKeys(records: Record<string, unknown>[], agent: string): void {
  expect(records.length).toBeGreaterThan(0);
  for (const r of records) {
    expect(r.agent).toBe(agent);
    expect(r).toHaveProperty('trace_id');
    expect(r).toHaveProperty('tenant_id');
  }
}

describe('createLogger', () => {
  it('is assignable to the Logger port', () => {
    const logger = createLogger({ agent: 'planner', destination: capture().destination });
    const port: Logger = logger;
    expectTypeOf(logger).toExtend<Logger>();
    expectTypeOf<PinoLogger>().toExtend<Logger>();
    expect(typeof port.child).toBe('function');
  });

  it('writes one JSON line per call with agent, and null trace_id/tenant_id until bound', () => {
    const out = capture();
    const logger = createLogger({ agent: 'planner', destination: out.destination });
    logger.info('started');
    logger.child({ trace_id: LOOK_ALIKES.traceId, tenant_id: 'acme' }).warn({ step: 2 }, 'bound');

    expect(out.lines).toHaveLength(2);
    for (const line of out.lines) expect(line.endsWith('\n')).toBe(true);
    const [root, child] = out.records();
    expect(root).toMatchObject({
      agent: 'planner',
      trace_id: null,
      tenant_id: null,
      msg: 'started',
      level: 30,
    });
    expect(child).toMatchObject({
      agent: 'planner',
      trace_id: LOOK_ALIKES.traceId,
      tenant_id: 'acme',
      step: 2,
    });
    // The child's binding replaces the root's null instead of repeating the key.
    expect(out.lines[1]?.match(/"trace_id"/g)).toHaveLength(1);
    expect(out.lines[1]?.match(/"tenant_id"/g)).toHaveLength(1);
  });

  it('honours the level option', () => {
    const out = capture();
    const logger = createLogger({ agent: 'planner', level: 'warn', destination: out.destination });
    logger.info('dropped');
    logger.warn('kept');
    expect(out.records().map((r) => r.msg)).toEqual(['kept']);
  });

  it('scrubs PII from messages, fields, errors and child bindings', () => {
    const out = capture();
    const logger = createLogger({ agent: 'planner', destination: out.destination });

    logger.info(freeText());
    logger.info('user %s from %s', PLANTED.email, PLANTED.ipv4);
    logger.info(
      {
        user: { email: PLANTED.email, phones: [PLANTED.intlPhone, PLANTED.usPhone], note: freeText() },
        payment: { card: PLANTED.card },
        headers: { Authorization: PLANTED.basicAuth, cookie: PLANTED.cookie, 'x-api-key': 'PlantedXApiKey' },
        deep: { a: { b: { password: PLANTED.password, client_secret: PLANTED.clientSecret } } },
      },
      'nested',
    );
    const err = new Error(`charge failed for ${PLANTED.email} with ${PLANTED.card}`);
    logger.error(err);
    logger.error({ err, attempt: 1 }, `retrying for ${PLANTED.ipv6}`);
    const child = logger.child({
      trace_id: LOOK_ALIKES.traceId,
      tenant_id: 'acme',
      client_ip: PLANTED.ipv4,
      caller: { email: PLANTED.email, token: PLANTED.jwt },
    });
    child.child({ auth: `Bearer ${PLANTED.bearer}` }).warn({ key: PLANTED.openaiKey }, 'child');

    const output = out.lines.join('');
    expectClean(output);
    expect(output).not.toContain('PlantedXApiKey');
    for (const marker of Object.values(REDACTED)) expect(output).toContain(marker);

    const records = out.records();
    expectCorrelationKeys(records, 'planner');
    const nested = records.find((r) => r.msg === 'nested');
    expect(nested).toMatchObject({
      user: { email: REDACTED.email, phones: [REDACTED.phone, REDACTED.phone] },
      payment: { card: REDACTED.card },
      headers: { Authorization: REDACTED.secret, cookie: REDACTED.secret, 'x-api-key': REDACTED.secret },
      deep: { a: { b: { password: REDACTED.secret, client_secret: REDACTED.secret } } },
    });
    const errRecord = records.find((r) => r.level === 50 && r.msg !== `retrying for ${REDACTED.ip}`);
    expect(errRecord?.msg).toBe(`charge failed for ${REDACTED.email} with ${REDACTED.card}`);
    expect((errRecord?.err as { stack: string }).stack).toContain(`charge failed for ${REDACTED.email}`);
    const childRecord = records.find((r) => r.msg === 'child');
    expect(childRecord).toMatchObject({
      trace_id: LOOK_ALIKES.traceId,
      tenant_id: 'acme',
      client_ip: REDACTED.ip,
      caller: { email: REDACTED.email, token: REDACTED.secret },
      auth: `Bearer ${REDACTED.token}`,
      key: REDACTED.apiKey,
    });
  });

  it('leaves look-alikes alone', () => {
    const out = capture();
    const logger = createLogger({ agent: 'planner', destination: out.destination });
    const child = logger.child({ trace_id: LOOK_ALIKES.traceId, tenant_id: 'acme' });
    child.info(
      {
        at: LOOK_ALIKES.iso,
        job_id: LOOK_ALIKES.uuid,
        version: LOOK_ALIKES.semver,
        duration_ms: LOOK_ALIKES.durationMs,
        span_id: '00f067aa0ba902b7',
      },
      `job ${LOOK_ALIKES.uuid} v${LOOK_ALIKES.semver} done at ${LOOK_ALIKES.iso} in ${LOOK_ALIKES.durationMs} ms (trace ${LOOK_ALIKES.traceId})`,
    );
    const [record] = out.records();
    expect(record).toMatchObject({
      trace_id: LOOK_ALIKES.traceId,
      at: LOOK_ALIKES.iso,
      job_id: LOOK_ALIKES.uuid,
      version: LOOK_ALIKES.semver,
      duration_ms: LOOK_ALIKES.durationMs,
      span_id: '00f067aa0ba902b7',
      msg: `job ${LOOK_ALIKES.uuid} v${LOOK_ALIKES.semver} done at ${LOOK_ALIKES.iso} in ${LOOK_ALIKES.durationMs} ms (trace ${LOOK_ALIKES.traceId})`,
    });
    expect(out.lines[0]).not.toContain('[REDACTED');
  });

  it('scrubs Fastify request logs, including headers and the client address', async () => {
    const out = capture();
    const logger = createLogger({ agent: 'planner', destination: out.destination });
    const app = Fastify({ loggerInstance: logger });
    app.get('/hello', (req) => {
      req.log.info({ headers: req.headers }, 'headers seen');
      req.log.child({ trace_id: LOOK_ALIKES.traceId, tenant_id: 'acme' }).info({ ip: req.ip }, 'bound');
      return Promise.resolve({ ok: true });
    });
    app.get('/boom', () => Promise.reject(new Error(`lookup failed for ${PLANTED.email}`)));
    await app.ready();

    const headers = {
      authorization: `Bearer ${PLANTED.bearer}`,
      cookie: PLANTED.cookie,
      'x-api-key': 'PlantedXApiKey',
      'proxy-authorization': PLANTED.basicAuth,
      'x-forwarded-for': PLANTED.ipv4,
    };
    const ok = await app.inject({
      method: 'GET',
      url: `/hello?email=${PLANTED.email}`,
      headers,
      remoteAddress: PLANTED.ipv6,
    });
    expect(ok.statusCode).toBe(200);
    const boom = await app.inject({ method: 'GET', url: '/boom', headers, remoteAddress: PLANTED.ipv4 });
    expect(boom.statusCode).toBe(500);
    await app.close();

    const output = out.lines.join('');
    expectClean(output);
    expect(output).not.toContain('PlantedXApiKey');

    const records = out.records();
    expectCorrelationKeys(records, 'planner');
    const incoming = records.filter((r) => r.msg === 'incoming request');
    expect(incoming).toHaveLength(2);
    expect(incoming[0]?.req).toMatchObject({
      url: `/hello?email=${REDACTED.email}`,
      remoteAddress: REDACTED.ip,
    });
    expect(records.some((r) => r.msg === 'request completed')).toBe(true);
    const seen = records.find((r) => r.msg === 'headers seen');
    expect(seen?.headers).toMatchObject({
      authorization: REDACTED.secret,
      cookie: REDACTED.secret,
      'x-api-key': REDACTED.secret,
      'proxy-authorization': REDACTED.secret,
      'x-forwarded-for': REDACTED.ip,
    });
    expect(records.find((r) => r.msg === 'bound')).toMatchObject({
      trace_id: LOOK_ALIKES.traceId,
      tenant_id: 'acme',
      ip: REDACTED.ip,
    });
    const failure = records.find((r) => r.level === 50);
    expect((failure?.err as { message: string }).message).toBe(`lookup failed for ${REDACTED.email}`);
  });
});
