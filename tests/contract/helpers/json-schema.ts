import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

const DRAFT_07 = /json-schema\.org\/draft-07\/schema/;

/**
 * Compiles a JSON Schema from an agent descriptor with the dialect it declares (2020-12 unless it says
 * draft-07). Strict, so a schema with unknown keywords fails to compile. Formats are not checked: zod
 * writes a `pattern` beside the formats it emits, and the pattern is what is checked.
 */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const opts = { allErrors: true, strict: true, validateFormats: false } as const;
  const ajv =
    typeof schema.$schema === 'string' && DRAFT_07.test(schema.$schema) ? new Ajv(opts) : new Ajv2020(opts);
  return ajv.compile(schema);
}

/** The validator's errors as one readable line per error. */
export function schemaErrors(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');
}
