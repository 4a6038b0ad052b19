import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareSchemaFiles, renderSchemaFiles, VERSION_FILE } from './json-schema.js';
import { findBreakingChanges } from './schema-compat.js';
import { SCHEMA_VERSION } from './schemas.js';

/** Asserts `older → newer` breaks (with a message matching `reason`) and `newer → older` does not. */
function expectOneWay(older: object, newer: object, reason: RegExp): void {
  const forward = findBreakingChanges(older, newer);
  expect(
    forward.some((m) => reason.test(m)),
    forward.join('\n'),
  ).toBe(true);
  expect(findBreakingChanges(newer, older)).toEqual([]);
}

const obj = (properties: Record<string, object>, extra: object = {}): object => ({
  type: 'object',
  properties,
  ...extra,
});

describe('findBreakingChanges', () => {
  it('finds nothing between identical schemas or annotation-only edits', () => {
    const s = obj({ a: { type: 'string' } }, { required: ['a'] });
    expect(findBreakingChanges(s, s)).toEqual([]);
    const annotated = obj(
      { a: { type: 'string', description: 'now documented', examples: ['x'] } },
      { required: ['a'], title: 'T' },
    );
    expect(findBreakingChanges(s, annotated)).toEqual([]);
  });

  it('reports a removed property; an added optional one is compatible', () => {
    expectOneWay(
      obj({ a: { type: 'string' }, b: { type: 'string' } }),
      obj({ a: { type: 'string' } }),
      /properties\/b: property removed/,
    );
  });

  it('reports a newly required property; dropping a requirement is compatible', () => {
    const props = { a: { type: 'string' }, b: { type: 'string' } };
    expectOneWay(obj(props, { required: ['a'] }), obj(props, { required: ['a', 'b'] }), /"b" newly required/);
  });

  it('reports a new required property as both new and required', () => {
    const changes = findBreakingChanges(obj({}), obj({ c: { type: 'string' } }, { required: ['c'] }));
    expect(changes).toEqual(['#: property "c" newly required']);
  });

  it('reports a changed or narrowed type; widening is compatible', () => {
    expectOneWay({ type: ['string', 'null'] }, { type: 'string' }, /type null no longer accepted/);
    expectOneWay({ type: 'number' }, { type: 'integer' }, /type number no longer accepted/);
    expectOneWay({}, { type: 'string' }, /type restricted to string/);
    expect(findBreakingChanges({ type: 'string' }, { type: 'integer' })).toEqual([
      '#: type string no longer accepted (now integer)',
    ]);
    expect(findBreakingChanges({ type: 'integer' }, { type: 'number' })).toEqual([]);
  });

  it('reports a removed enum or const value; adding values is compatible', () => {
    expectOneWay({ enum: ['a', 'b', 'c'] }, { enum: ['a', 'b'] }, /value "c" removed/);
    expectOneWay({ enum: ['a', 'b'] }, { const: 'a' }, /value "b" removed/);
    expectOneWay({ type: 'string' }, { type: 'string', enum: ['a'] }, /values restricted/);
    expect(findBreakingChanges({ const: 'v1' }, { const: 'v2' })).toEqual(['#: value "v1" removed']);
    expect(findBreakingChanges({ enum: [{ a: 1, b: 2 }] }, { enum: [{ b: 2, a: 1 }] })).toEqual([]);
  });

  it('reports additionalProperties turned false; opening it up is compatible', () => {
    const props = { a: { type: 'string' } };
    expectOneWay(
      obj(props),
      obj(props, { additionalProperties: false }),
      /additionalProperties turned false/,
    );
    expectOneWay(
      obj(props, { additionalProperties: true }),
      obj(props, { additionalProperties: false }),
      /turned false/,
    );
    expectOneWay(
      { type: 'object', additionalProperties: { type: ['string', 'number'] } },
      { type: 'object', additionalProperties: { type: 'string' } },
      /additionalProperties: type number no longer accepted/,
    );
  });

  it.each([
    ['minLength', { minLength: 1 }, { minLength: 2 }],
    ['maxLength', { maxLength: 10 }, { maxLength: 5 }],
    ['minItems', { minItems: 0 }, { minItems: 1 }],
    ['maxItems', { maxItems: 10 }, { maxItems: 9 }],
    ['minProperties', {}, { minProperties: 1 }],
    ['maxProperties', {}, { maxProperties: 3 }],
  ])('reports %s tightened; loosening is compatible', (key, loose, tight) => {
    expectOneWay(loose, tight, new RegExp(`${key} tightened`));
  });

  it('reports numeric bounds tightened or added; loosening is compatible', () => {
    expectOneWay(
      { type: 'number', minimum: 0 },
      { type: 'number', minimum: 1 },
      /minimum tightened from >= 0 to >= 1/,
    );
    expectOneWay({ type: 'number', maximum: 10 }, { type: 'number', maximum: 9.5 }, /maximum tightened/);
    expectOneWay(
      { type: 'number', minimum: 0 },
      { type: 'number', exclusiveMinimum: 0 },
      /minimum tightened from >= 0 to > 0/,
    );
    expectOneWay({ type: 'number' }, { type: 'number', maximum: 100 }, /maximum <= 100 added/);
  });

  it('treats integer exclusive bounds as the equivalent inclusive ones', () => {
    expect(
      findBreakingChanges({ type: 'integer', exclusiveMinimum: 0 }, { type: 'integer', minimum: 1 }),
    ).toEqual([]);
    expect(
      findBreakingChanges({ type: 'integer', minimum: 1 }, { type: 'integer', exclusiveMinimum: 0 }),
    ).toEqual([]);
    expect(
      findBreakingChanges({ type: 'integer', minimum: 1 }, { type: 'integer', exclusiveMinimum: 1 }),
    ).toHaveLength(1);
  });

  it('reports multipleOf and uniqueItems added', () => {
    expectOneWay({ type: 'number', multipleOf: 2 }, { type: 'number', multipleOf: 4 }, /multipleOf 4/);
    expectOneWay({ type: 'array' }, { type: 'array', uniqueItems: true }, /uniqueItems added/);
  });

  it('reports a pattern added or changed; removing it is compatible', () => {
    expectOneWay({ type: 'string' }, { type: 'string', pattern: '^a' }, /pattern added/);
    expect(findBreakingChanges({ pattern: '^a' }, { pattern: '^b' })).toEqual([
      '#: pattern changed from "^a" to "^b"',
    ]);
  });

  it('reports a format added or changed; removing it is compatible', () => {
    expectOneWay({ type: 'string' }, { type: 'string', format: 'date-time' }, /format "date-time" added/);
    expect(findBreakingChanges({ format: 'date' }, { format: 'date-time' })).toEqual([
      '#: format changed from "date" to "date-time"',
    ]);
  });

  it('walks array items recursively', () => {
    const older = { type: 'array', items: obj({ a: { type: 'string' }, b: { type: 'string' } }) };
    const newer = { type: 'array', items: obj({ a: { type: 'string' } }) };
    expectOneWay(older, newer, /^#\/items\/properties\/b: property removed$/);
    expectOneWay(
      { type: 'array' },
      { type: 'array', items: { type: 'string' } },
      /#\/items: type restricted/,
    );
    expectOneWay(
      { type: 'array', prefixItems: [{ type: ['string', 'null'] }] },
      { type: 'array', prefixItems: [{ type: 'string' }] },
      /prefixItems\/0: type null/,
    );
  });

  it('walks nested properties and names the path', () => {
    const older = obj({ outer: obj({ inner: { type: 'string', maxLength: 10 } }) });
    const newer = obj({ outer: obj({ inner: { type: 'string', maxLength: 5 } }) });
    expect(findBreakingChanges(older, newer, 'job.json#')).toEqual([
      'job.json#/properties/outer/properties/inner: maxLength tightened from 10 to 5',
    ]);
  });

  it('reports a removed anyOf/oneOf option; adding one is compatible', () => {
    for (const key of ['anyOf', 'oneOf']) {
      expectOneWay(
        { [key]: [{ type: 'string' }, { type: 'integer' }] },
        { [key]: [{ type: 'string' }] },
        new RegExp(`${key}/1: option removed`),
      );
    }
    expectOneWay({ anyOf: [{ type: 'string' }, { type: 'null' }] }, { type: 'string' }, /type restricted/);
    expect(
      findBreakingChanges({ type: 'string' }, { anyOf: [{ type: 'string' }, { type: 'null' }] }),
    ).toEqual([]);
    expect(
      findBreakingChanges({ type: 'string' }, { anyOf: [{ type: 'integer' }, { type: 'null' }] }),
    ).toEqual(['#: anyOf added that excludes values accepted before']);
  });

  it('follows local $refs on both sides', () => {
    const older = {
      $defs: { A: obj({ x: { type: 'string' } }) },
      type: 'array',
      items: { $ref: '#/$defs/A' },
    };
    const newer = { $defs: { A: obj({}) }, type: 'array', items: { $ref: '#/$defs/A' } };
    expectOneWay(older, newer, /#\/items\/properties\/x: property removed/);
    expect(
      findBreakingChanges(older, { ...older, $defs: { B: older.$defs.A }, items: { $ref: '#/$defs/B' } }),
    ).toEqual([]);
  });

  it('terminates on recursive schemas', () => {
    const tree = {
      $defs: { N: obj({ kids: { type: 'array', items: { $ref: '#/$defs/N' } } }) },
      $ref: '#/$defs/N',
    };
    expect(findBreakingChanges(tree, tree)).toEqual([]);
  });

  it('reports a schema that now rejects everything, and unchecked keywords for review', () => {
    expect(findBreakingChanges(obj({ a: {} }), obj({ a: false as unknown as object }))).toEqual([
      '#/properties/a: schema now rejects every value',
    ]);
    expect(findBreakingChanges({}, { if: { type: 'string' }, then: { minLength: 1 } })).toHaveLength(2);
  });
});

describe('compareSchemaFiles', () => {
  const file = (schema: object): string => `${JSON.stringify(schema, null, 2)}\n`;
  const v1 = obj({ a: { type: 'string' }, b: { type: 'string' } });
  const v2 = obj({ a: { type: 'string' } });

  it('reports breaking changes only while the version is unchanged', () => {
    const committed = new Map([
      ['x.json', file(v1)],
      ['VERSION', 'v1\n'],
    ]);
    const same = compareSchemaFiles(
      committed,
      new Map([
        ['x.json', file(v2)],
        ['VERSION', 'v1\n'],
      ]),
    );
    expect(same.breaking).toEqual(['x.json: #/properties/b: property removed']);
    expect(same.stale).toEqual(['x.json']);
    const bumped = compareSchemaFiles(
      committed,
      new Map([
        ['x.json', file(v2)],
        ['VERSION', 'v2\n'],
      ]),
    );
    expect(bumped.breaking).toEqual([]);
    expect(bumped.stale.sort()).toEqual(['VERSION', 'x.json']);
  });

  it('treats a schema file that is no longer generated as removed, and a new one as stale only', () => {
    const committed = new Map([
      ['x.json', file(v1)],
      ['VERSION', 'v1\n'],
    ]);
    const report = compareSchemaFiles(
      committed,
      new Map([
        ['y.json', file(v1)],
        ['VERSION', 'v1\n'],
      ]),
    );
    expect(report.breaking).toEqual(['x.json: schema removed']);
    expect(report.stale.sort()).toEqual(['x.json', 'y.json']);
  });
});

/** agents/common/schema/, found from this file so the test runs from any working directory. */
const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

function readCommitted(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(SCHEMA_DIR).sort()) {
    if (name.endsWith('.json') || name === VERSION_FILE)
      files.set(name, readFileSync(SCHEMA_DIR + name, 'utf8'));
  }
  return files;
}

describe('committed contract schemas (agents/common/schema/)', () => {
  it('exist, with a VERSION file', () => {
    expect(existsSync(SCHEMA_DIR + VERSION_FILE)).toBe(true);
  });

  it('have no breaking change while VERSION equals SCHEMA_VERSION', () => {
    const committed = readCommitted();
    const { breaking } = compareSchemaFiles(committed, renderSchemaFiles(), VERSION_FILE);
    expect(
      breaking,
      `breaking changes to the ${SCHEMA_VERSION} contract; bump SCHEMA_VERSION in schemas.ts, then run \`npm run schemas\`:\n${breaking.join('\n')}`,
    ).toEqual([]);
  });

  it('match the schemas generated from the code', () => {
    const { stale } = compareSchemaFiles(readCommitted(), renderSchemaFiles(), VERSION_FILE);
    expect(stale, `stale schema files; run \`npm run schemas\`: ${stale.join(', ')}`).toEqual([]);
  });
});
