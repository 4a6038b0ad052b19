import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { buildOpenApi, type OpenApiAgent } from './openapi.js';

const agent: OpenApiAgent = {
  name: 'planner',
  version: '1.2.3',
  description: 'Turns a request into a structured plan.',
  kinds: [
    {
      kind: 'plan.create',
      description: 'Make a plan for a question',
      input_schema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { question: { $ref: '#/$defs/Text' } },
        required: ['question'],
        $defs: { Text: { type: 'string', minLength: 1 } },
      },
      output_schema: { type: 'object', properties: { steps: { type: 'array', items: { type: 'string' } } } },
      example: { question: 'How do I rotate the keys?' },
    },
    {
      kind: 'plan.revise',
      description: 'Revise a plan with feedback',
      input_schema: {
        type: 'object',
        properties: { plan: { type: 'object' }, feedback: { type: 'string' } },
      },
      output_schema: { type: 'object' },
      example: { plan: {}, feedback: 'shorter' },
    },
  ],
};

type Json = Record<string, unknown>;

/** Reads a nested value by keys; undefined when any step is missing. */
function at(doc: unknown, ...keys: string[]): unknown {
  let node = doc;
  for (const key of keys) node = (node as Json | undefined)?.[key];
  return node;
}

describe('buildOpenApi', () => {
  const doc = buildOpenApi(agent);

  it('survives a JSON round trip unchanged', () => {
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
    expect(doc.openapi).toBe('3.1.0');
    expect(at(doc, 'info', 'title')).toBe('planner agent');
    expect(at(doc, 'info', 'version')).toBe('1.2.3');
  });

  it.each([
    ['/health', 'get'],
    ['/ready', 'get'],
    ['/metrics', 'get'],
    ['/version', 'get'],
    ['/v1/agent', 'get'],
    ['/openapi.json', 'get'],
    ['/v1/jobs', 'post'],
    ['/v1/jobs/{job_id}', 'get'],
    ['/v1/jobs/{job_id}', 'delete'],
    ['/v1/jobs/{job_id}/events', 'get'],
    ['/v1/jobs/{job_id}/cancel', 'post'],
    ['/v1/dlq', 'get'],
    ['/v1/dlq/{job_id}', 'get'],
    ['/v1/dlq/{job_id}/redrive', 'post'],
  ])('has %s %s', (path, method) => {
    expect(at(doc, 'paths', path, method)).toBeTypeOf('object');
  });

  it('serves metrics as text and events as an event stream resumable by Last-Event-ID', () => {
    expect(at(doc, 'paths', '/metrics', 'get', 'responses', '200', 'content', 'text/plain')).toBeDefined();
    const events = at(doc, 'paths', '/v1/jobs/{job_id}/events', 'get') as Json;
    expect(at(events, 'responses', '200', 'content', 'text/event-stream')).toBeDefined();
    expect(events.parameters).toContainEqual({ $ref: '#/components/parameters/LastEventId' });
    expect(at(doc, 'components', 'parameters', 'LastEventId', 'name')).toBe('Last-Event-ID');
  });

  it('takes the submission headers and answers with every documented status', () => {
    const post = at(doc, 'paths', '/v1/jobs', 'post') as Json;
    const names = (post.parameters as { $ref: string }[]).map(
      (p) => at(doc, 'components', 'parameters', p.$ref.split('/').pop() ?? '', 'name') as string,
    );
    expect(names.sort()).toEqual(['Idempotency-Key', 'Prefer', 'X-Tenant-Id', 'traceparent'].sort());
    expect(Object.keys(post.responses as object).sort()).toEqual(
      ['200', '202', '400', '409', '413', '415', '422', '429', '503'].sort(),
    );
    expect(at(post, 'responses', '202', 'headers', 'Location')).toBeDefined();
    expect(at(post, 'responses', '202', 'content', 'application/json', 'schema')).toEqual({
      $ref: '#/components/schemas/JobAccepted',
    });
    expect(
      at(doc, 'components', 'responses', 'Problem422', 'content', 'application/problem+json', 'schema'),
    ).toEqual({
      $ref: '#/components/schemas/Problem',
    });
    expect(at(doc, 'components', 'responses', 'Problem422', 'description')).toMatch(/`unknown_kind`/);
    expect(at(doc, 'components', 'responses', 'Problem429', 'headers', 'Retry-After')).toBeDefined();
  });

  it('types the request body per kind, told apart by `kind`, with each example', () => {
    const media = at(doc, 'paths', '/v1/jobs', 'post', 'requestBody', 'content', 'application/json') as Json;
    const schema = media.schema as {
      oneOf: { $ref: string }[];
      discriminator: { propertyName: string; mapping: Json };
    };
    expect(schema.discriminator.propertyName).toBe('kind');
    for (const k of agent.kinds) {
      const target = `#/components/schemas/JobRequest.${k.kind}`;
      expect(schema.oneOf).toContainEqual({ $ref: target });
      expect(schema.discriminator.mapping[k.kind]).toBe(target);
      expect(at(media, 'examples', k.kind, 'value')).toEqual({ kind: k.kind, input: k.example });
      const variant = at(doc, 'components', 'schemas', `JobRequest.${k.kind}`, 'allOf') as Json[];
      expect(variant[0]).toEqual({ $ref: '#/components/schemas/JobRequest' });
      expect(at(variant[1], 'properties', 'kind', 'const')).toBe(k.kind);
      expect(at(variant[1], 'properties', 'input')).toEqual({ $ref: `#/components/schemas/${k.kind}.Input` });
      expect(at(doc, 'components', 'schemas', `JobRecord.${k.kind}`)).toBeDefined();
    }
  });

  it('embeds kind schemas so their own $refs still resolve', () => {
    const input = at(doc, 'components', 'schemas', 'plan.create.Input') as Json;
    expect(input.$schema).toBeUndefined();
    expect(input.$id).toBe('https://sutazai.dev/schemas/agents/planner/plan.create/input.json');
    expect(at(doc, 'components', 'schemas', 'plan.revise.Input', '$id')).toBeUndefined();
  });

  it('carries the contract schemas as components', () => {
    for (const name of [
      'JobRequest',
      'JobRecord',
      'JobEvent',
      'JobAccepted',
      'Problem',
      'AgentDescriptor',
      'DeadLetter',
    ]) {
      expect(at(doc, 'components', 'schemas', name, 'title')).toBe(name);
    }
  });

  it('is a valid OpenAPI 3.1 document whose references all resolve', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('is told apart from an invalid document by the validator', async () => {
    const broken = structuredClone(doc);
    (broken.paths as Json)['/health'] = { get: { responses: { '200': { content: {} } } } };
    expect((await new Validator().validate(broken)).valid).toBe(false);
    const dangling = structuredClone(doc);
    delete (dangling.components as { schemas: Json }).schemas['plan.revise.Input'];
    expect((await new Validator().validate(dangling)).valid).toBe(false);
  });

  it('falls back to the plain schemas for an agent without kinds', async () => {
    const bare = buildOpenApi({ ...agent, kinds: [] });
    expect(
      at(bare, 'paths', '/v1/jobs', 'post', 'requestBody', 'content', 'application/json', 'schema'),
    ).toEqual({
      $ref: '#/components/schemas/JobRequest',
    });
    expect((await new Validator().validate(bare)).valid).toBe(true);
  });
});
