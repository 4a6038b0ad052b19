import { z } from 'zod';
import { findBreakingChanges } from './schema-compat.js';
import { CONTRACT_SCHEMAS, SCHEMA_VERSION } from './schemas.js';

/** Name of one committed contract schema file (without `.json`), e.g. `job-request`. */
export type ContractSchemaName = keyof typeof CONTRACT_SCHEMAS;

/** Base URI of every published contract schema; the file name follows. */
export const SCHEMA_ID_BASE = `https://sutazai.dev/schemas/${SCHEMA_VERSION}/`;

/** The `$id` of one contract schema file. */
export function schemaId(name: string): string {
  return `${SCHEMA_ID_BASE}${name}.json`;
}

/** `job-request` → `JobRequest`: the title of a schema and its OpenAPI component name. */
export function schemaTitle(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * Every contract schema as JSON Schema (draft 2020-12), keyed by file name, each with `$id`
 * and `title`. Keys come out in a canonical order, so regenerating gives identical bytes.
 */
export function contractJsonSchemas(): Record<ContractSchemaName, Record<string, unknown>> {
  const out = {} as Record<ContractSchemaName, Record<string, unknown>>;
  for (const name of Object.keys(CONTRACT_SCHEMAS) as ContractSchemaName[]) {
    // io 'input': a file states what a sender must send (defaulted fields optional), which is what JobRequest needs.
    const generated = z.toJSONSchema(CONTRACT_SCHEMAS[name], {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'throw',
    }) as Record<string, unknown>;
    out[name] = canonicalize({ ...generated, $id: schemaId(name), title: schemaTitle(name) }) as Record<
      string,
      unknown
    >;
  }
  return out;
}

/** Name of the file beside the schemas that records which SCHEMA_VERSION they were written for. */
export const VERSION_FILE = 'VERSION';

/** The bytes of every file of agents/common/schema/, by file name: one `<name>.json` each, plus VERSION. */
export function renderSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, schema] of Object.entries(contractJsonSchemas())) {
    files.set(`${name}.json`, `${JSON.stringify(schema, null, 2)}\n`);
  }
  files.set(VERSION_FILE, `${SCHEMA_VERSION}\n`);
  return files;
}

/** How a directory of committed schema files compares with the freshly generated ones. */
export interface SchemaFilesReport {
  /** Files that differ from what generation gives now (missing, changed, or no longer generated). */
  readonly stale: string[];
  /** Breaking changes, prefixed by file name; only counted while VERSION is unchanged. */
  readonly breaking: string[];
}

/**
 * Compares committed schema files with generated ones (both by file name, `VERSION` included).
 * A breaking change matters only when the committed VERSION equals the generated one: a version
 * bump is exactly what licenses it.
 */
export function compareSchemaFiles(
  committed: ReadonlyMap<string, string>,
  generated: ReadonlyMap<string, string>,
  versionFile = VERSION_FILE,
): SchemaFilesReport {
  const stale: string[] = [];
  const breaking: string[] = [];
  for (const [file, content] of generated) {
    if (committed.get(file) !== content) stale.push(file);
  }
  for (const file of committed.keys()) {
    if (!generated.has(file)) stale.push(file);
  }
  const sameVersion = committed.get(versionFile)?.trim() === generated.get(versionFile)?.trim();
  if (!sameVersion) return { stale, breaking };
  for (const [file, content] of committed) {
    if (!file.endsWith('.json')) continue;
    const fresh = generated.get(file);
    if (fresh === undefined) {
      breaking.push(`${file}: schema removed`);
      continue;
    }
    if (fresh === content) continue;
    let old: unknown;
    try {
      old = JSON.parse(content);
    } catch {
      continue; // already listed as stale; an unreadable file promises nothing to compare against
    }
    if (typeof old !== 'object' || old === null) continue;
    for (const change of findBreakingChanges(old, JSON.parse(fresh) as object))
      breaking.push(`${file}: ${change}`);
  }
  return { stale, breaking };
}

/** Keywords that lead a schema object, in this order; all others follow alphabetically. */
const LEADING_KEYWORDS = [
  '$schema',
  '$id',
  '$ref',
  'title',
  'description',
  'type',
  'const',
  'enum',
  'format',
  'properties',
  'required',
  'additionalProperties',
  'items',
];

/** Keywords whose value maps user-chosen names to schemas: their key order is the author's. */
const NAME_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/** Keywords whose value is instance data, not schema: left exactly as written. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples', 'example']);

function keywordRank(key: string): number {
  const i = LEADING_KEYWORDS.indexOf(key);
  return i === -1 ? LEADING_KEYWORDS.length : i;
}

/**
 * Puts schema keywords in a fixed order (independent of the order zod happens to emit them),
 * keeping property maps and arrays in source order, since those orders carry meaning.
 */
export function canonicalize(value: unknown, isNameMap = false): unknown {
  if (Array.isArray(value)) return value.map((v) => canonicalize(v));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (!isNameMap) {
    entries.sort(([a], [b]) => keywordRank(a) - keywordRank(b) || (a < b ? -1 : a > b ? 1 : 0));
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of entries) {
    // A name map's values are schemas; a schema's name-map keywords hold name maps.
    if (isNameMap) out[key] = canonicalize(v);
    else out[key] = DATA_KEYWORDS.has(key) ? v : canonicalize(v, NAME_MAPS.has(key));
  }
  return out;
}
