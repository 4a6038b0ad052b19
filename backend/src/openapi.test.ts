import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMeshOpenApi } from './openapi.js';
import {
  startAgent,
  startMesh,
  type RunningAgent,
  type RunningMesh,
} from './testing/fixtures/mesh-harness.js';

type Json = Record<string, unknown>;

describe('the mesh OpenAPI document', () => {
  const doc = buildMeshOpenApi('1.2.3');

  it('is a valid OpenAPI 3.1 document whose references all resolve', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(() => validator.resolveRefs()).not.toThrow();
    expect(doc.openapi).toBe('3.1.0');
  });

  it('fails validation when a mesh component goes missing', async () => {
    const dangling = structuredClone(doc);
    delete (dangling.components as { schemas: Json }).schemas.AgentsReport;
    expect((await new Validator().validate(dangling)).valid).toBe(false);
  });

  it('describes the mesh routes and no agent-only ones', () => {
    expect(Object.keys(doc.paths as Json).sort()).toEqual([
      '/health',
      '/metrics',
      '/openapi.json',
      '/ready',
      '/v1/agents',
      '/v1/documents',
      '/v1/jobs',
      '/v1/jobs/{job_id}',
      '/v1/jobs/{job_id}/cancel',
      '/v1/jobs/{job_id}/events',
      '/version',
    ]);
    const schemas = (doc.components as { schemas: Json }).schemas;
    expect(schemas.MeshJobRequest).toMatchObject({
      properties: { agent: { type: 'string' } },
      required: ['input'],
    });
  });
});

describe('GET /openapi.json', () => {
  let agent: RunningAgent;
  let m: RunningMesh;
  beforeAll(async () => {
    agent = await startAgent('orchestrator');
    m = await startMesh({ orchestrator: agent.url });
  });
  afterAll(async () => {
    await m.close();
    await agent.close();
  });

  it('serves the document with the build version', async () => {
    const res = await fetch(`${m.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ openapi: '3.1.0', info: { version: '0.1.0' } });
  });
});
