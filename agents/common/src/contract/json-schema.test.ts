import { describe, expect, it } from 'vitest';
import {
  canonicalize,
  contractJsonSchemas,
  renderSchemaFiles,
  schemaId,
  schemaTitle,
  VERSION_FILE,
} from './json-schema.js';
import { CONTRACT_SCHEMAS, SCHEMA_VERSION } from './schemas.js';

describe('contractJsonSchemas', () => {
  const schemas = contractJsonSchemas();

  it('converts every contract schema, with draft 2020-12, $id and title', () => {
    expect(Object.keys(schemas).sort()).toEqual(Object.keys(CONTRACT_SCHEMAS).sort());
    for (const [name, schema] of Object.entries(schemas)) {
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.$id).toBe(`https://sutazai.dev/schemas/agentapi.v1/${name}.json`);
      expect(schema.title).toBe(schemaTitle(name));
    }
    expect(schemas['job-request'].title).toBe('JobRequest');
    expect(schemas['dead-letter'].title).toBe('DeadLetter');
  });

  it('describes JobRequest as a sender writes it: optional schema tag, unknown keys rejected', () => {
    const req = schemas['job-request'];
    expect(req.required).toEqual(['kind', 'input']);
    expect(req.additionalProperties).toBe(false);
    expect(Object.keys(req.properties as object)).toContain('deadline_ms');
  });

  it('lets unknown keys through on Problem, as its parser does', () => {
    expect(schemas.problem.additionalProperties).toEqual({});
  });

  it('is deterministic, leading with identity keywords', () => {
    expect(JSON.stringify(contractJsonSchemas())).toBe(JSON.stringify(schemas));
    expect(Object.keys(schemas['job-record']).slice(0, 5)).toEqual([
      '$schema',
      '$id',
      'title',
      'type',
      'properties',
    ]);
  });
});

describe('canonicalize', () => {
  it('orders keywords but keeps property order and data values as written', () => {
    const out = canonicalize({
      required: ['b', 'a'],
      properties: { b: { maxLength: 2, type: 'string' }, a: { type: 'string', const: { z: 1, y: 2 } } },
      type: 'object',
      $id: 'x',
    }) as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(out)).toEqual(['$id', 'type', 'properties', 'required']);
    expect(Object.keys(out.properties ?? {})).toEqual(['b', 'a']);
    expect(Object.keys(out.properties?.b ?? {})).toEqual(['type', 'maxLength']);
    expect(Object.keys(out.properties?.a?.const as object)).toEqual(['z', 'y']);
    expect(out.required).toEqual(['b', 'a']);
  });

  it('treats a property named like a keyword as a name, not a keyword', () => {
    const out = canonicalize({
      properties: { type: { type: 'string' }, description: { type: 'string' } },
    }) as {
      properties: object;
    };
    expect(Object.keys(out.properties)).toEqual(['type', 'description']);
  });
});

describe('renderSchemaFiles', () => {
  it('renders one 2-space JSON file per schema plus VERSION, each ending in a newline', () => {
    const files = renderSchemaFiles();
    expect(files.get(VERSION_FILE)).toBe(`${SCHEMA_VERSION}\n`);
    for (const name of Object.keys(CONTRACT_SCHEMAS)) {
      const text = files.get(`${name}.json`);
      expect(text).toBeDefined();
      expect(text?.endsWith('}\n')).toBe(true);
      expect(text?.split('\n')[1]).toMatch(/^ {2}"\$schema"/);
      expect((JSON.parse(text ?? '') as { $id: string }).$id).toBe(schemaId(name));
    }
    expect(files.size).toBe(Object.keys(CONTRACT_SCHEMAS).length + 1);
  });
});
