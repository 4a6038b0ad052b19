/**
 * Finds the changes between two JSON Schemas that break existing senders: the new schema must
 * accept everything the old one accepted, and keep every property the old one named. Added
 * optional properties, added enum values and loosened limits are compatible.
 */

type Schema = Record<string, unknown>;

/** What a walk needs besides the two schemas: their documents (for `$ref`) and cycle guards. */
interface Walk {
  readonly oldRoot: unknown;
  readonly newRoot: unknown;
  readonly seenRefs: Set<string>;
  readonly out: string[];
}

/** Keywords that only annotate: changing them never changes what validates. */
const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  '$anchor',
  '$comment',
  '$defs',
  'definitions',
  'title',
  'description',
  'examples',
  'example',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  'contentMediaType',
  'contentEncoding',
  'discriminator',
]);

/** Keywords this walk understands; anything else that changes is reported for a human to judge. */
const HANDLED = new Set([
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'propertyNames',
  'items',
  'prefixItems',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  '$ref',
  'pattern',
  'format',
  'multipleOf',
  'uniqueItems',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
]);

/** Limits where a larger value is tighter (the bound on a size). */
const MIN_SIZES = ['minLength', 'minItems', 'minProperties'] as const;
/** Limits where a smaller value is tighter. */
const MAX_SIZES = ['maxLength', 'maxItems', 'maxProperties'] as const;

/**
 * Lists every incompatible change from `oldSchema` to `newSchema`, one message each, prefixed by
 * the JSON Pointer (from `path`, default `#`) of the subschema where it happens. Empty: compatible.
 */
export function findBreakingChanges(oldSchema: object, newSchema: object, path = '#'): string[] {
  const walk: Walk = { oldRoot: oldSchema, newRoot: newSchema, seenRefs: new Set(), out: [] };
  compare(walk, oldSchema, newSchema, path);
  return walk.out;
}

function isObject(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `true` and absent mean "anything"; `false` means "nothing". */
function asSchema(v: unknown): Schema | false {
  if (v === false) return false;
  return isObject(v) ? v : {};
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Follows a local `$ref` (`#/…`) in its document; undefined when it points elsewhere. */
function resolveRef(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    let key: string;
    try {
      key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      return undefined; // a malformed pointer resolves to nothing, like any other dangling ref
    }
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isObject(node)) node = node[key];
    else return undefined;
  }
  return node;
}

/** Replaces a schema that is only a local `$ref` by its target (siblings of `$ref` kept). */
function deref(root: unknown, schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const target = resolveRef(root, ref);
  if (!isObject(target)) return schema;
  const { $ref: _ref, ...siblings } = schema;
  return { ...target, ...siblings };
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    isObject(val) ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : 1))) : val,
  );
}

function compare(walk: Walk, oldIn: unknown, newIn: unknown, path: string): void {
  const oldS = asSchema(oldIn);
  const newS = asSchema(newIn);
  if (newS === false) {
    if (oldS !== false) walk.out.push(`${path}: schema now rejects every value`);
    return;
  }
  if (oldS === false) return;

  const oldRef = oldS.$ref;
  const newRef = newS.$ref;
  if (typeof oldRef === 'string' || typeof newRef === 'string') {
    const key = `${String(oldRef)}|${String(newRef)}`;
    if (walk.seenRefs.has(key)) return;
    const oldD = deref(walk.oldRoot, oldS);
    const newD = deref(walk.newRoot, newS);
    const unresolved =
      (oldD.$ref !== undefined && oldD === oldS) || (newD.$ref !== undefined && newD === newS);
    if (unresolved) {
      if (oldRef !== newRef)
        walk.out.push(`${path}: $ref changed from ${String(oldRef)} to ${String(newRef)}`);
      return;
    }
    walk.seenRefs.add(key);
    compareResolved(walk, oldD, newD, path);
    walk.seenRefs.delete(key);
    return;
  }
  compareResolved(walk, oldS, newS, path);
}

function compareResolved(walk: Walk, oldS: Schema, newS: Schema, path: string): void {
  compareType(walk, oldS, newS, path);
  compareValues(walk, oldS, newS, path);
  compareObject(walk, oldS, newS, path);
  compareArray(walk, oldS, newS, path);
  compareLimits(walk, oldS, newS, path);
  compareStrings(walk, oldS, newS, path);
  compareCombinators(walk, oldS, newS, path);
  compareUnknown(walk, oldS, newS, path);
}

function typesOf(s: Schema): Set<string> | undefined {
  if (typeof s.type === 'string') return new Set([s.type]);
  if (Array.isArray(s.type)) return new Set(s.type.filter((t): t is string => typeof t === 'string'));
  return undefined;
}

function compareType(walk: Walk, oldS: Schema, newS: Schema, path: string): void {
  const oldT = typesOf(oldS);
  const newT = typesOf(newS);
  if (!newT) return;
  if (!oldT) {
    walk.out.push(`${path}: type restricted to ${[...newT].join('|')}`);
    return;
  }
  for (const t of oldT) {
    if (newT.has(t) || (t === 'integer' && newT.has('number'))) continue;
    walk.out.push(`${path}: type ${t} no longer accepted (now ${[...newT].join('|')})`);
  }
}

/** The values a schema allows by `const`/`enum`, or undefined when it does not list them. */
function allowedValues(s: Schema): unknown[] | undefined {
  if ('const' in s) return [s.const];
  if (Array.isArray(s.enum)) return s.enum as unknown[];
  return undefined;
}

function compareValues(walk: Walk, oldS: Schema, newS: Schema, path: string): void {
  const newV = allowedValues(newS);
  if (!newV) return;
  const oldV = allowedValues(oldS);
  if (!oldV) {
    walk.out.push(`${path}: values restricted to ${JSON.stringify(newV)}`);
    return;
  }
  const kept = new Set(newV.map(stable));
  for (const v of oldV) {
    if (!kept.has(stable(v))) walk.out.push(`${path}: value ${JSON.stringify(v)} removed`);
  }
}

function compareObject(walk: Walk, oldS: Schema, newS: Schema, path: string): void {
  const oldProps = isObject(oldS.properties) ? oldS.properties : {};
  const newProps = isObject(newS.properties) ? newS.properties : {};
  for (const [name, oldProp] of Object.entries(oldProps)) {
    const at = `${path}/properties/${escapePointer(name)}`;
    if (!(name in newProps)) walk.out.push(`${at}: property removed`);
    else compare(walk, oldProp, newProps[name], at);
  }

  const oldReq = new Set(Array.isArray(oldS.required) ? oldS.required : []);
  for (const name of Array.isArray(newS.required) ? newS.required : []) {
    if (!oldReq.has(name)) walk.out.push(`${path}: property ${JSON.stringify(name)} newly required`);
  }

  const oldAdd = oldS.additionalProperties;
  const newAdd = newS.additionalProperties;
  if (newAdd === false && oldAdd !== false) {
    walk.out.push(`${path}: additionalProperties turned false`);
  } else if (newAdd !== undefined && newAdd !== false) {
    compare(walk, oldAdd, newAdd, `${path}/additionalProperties`);
  }

  const oldPat = isObject(oldS.patternProperties) ? oldS.patternProperties : {};
  const newPat = isObject(newS.patternProperties) ? newS.patternProperties : {};
  for (const [pattern, newSub] of Object.entries(newPat)) {
    const at = `${path}/patternProperties/${escapePointer(pattern)}`;
    if (pattern in oldPat) compare(walk, oldPat[pattern], newSub, at);
    else walk.out.push(`${at}: pattern property constraint added`);
  }
  if (newAdd === false) {
    for (const pattern of Object.keys(oldPat)) {
      if (!(pattern in newPat)) walk.out.push(`${path}/patternProperties/${escapePointer(pattern)}: removed`);
    }
  }

  if (newS.propertyNames !== undefined)
    compare(walk, oldS.propertyNames, newS.propertyNames, `${path}/propertyNames`);
}

function compareArray(walk: Walk, oldS: Schema, newS: Schema, path: string): void {
  const oldPrefix = Array.isArray(oldS.prefixItems) ? oldS.prefixItems : [];
  const newPrefix = Array.isArray(newS.prefixItems) ? newS.prefixItems : [];
  newPrefix.forEach((sub: unknown, i) => {
    compare(walk, i < oldPrefix.length ? oldPrefix[i] : oldS.items, sub, `${path}/prefixItems/${i}`);
  });
  if (newS.items !== undefined) compare(walk, oldS.items, newS.items, `${path}/items`);
  if (newS.uniqueItems === true && oldS.uniqueItems !== true) walk.out.push(`${path}: uniqueItems added`);
}

interface Bound {
  value: number;
  exclusive: boolean;
}

/** The effective lower or upper bound; integer-only schemas turn exclusive bounds inclusive. */
function bound(s: Schema, side: 'min' | 'max'): Bound | undefined {
  const incl = side === 'min' ? s.minimum : s.maximum;
  const excl = side === 'min' ? s.exclusiveMinimum : s.exclusiveMaximum;
  const integerOnly = s.type === 'integer';
  const candidates: Bound[] = [];
  if (typeof incl === 'number') candidates.push({ value: incl, exclusive: false });
  if (typeof excl === 'number') {
    if (integerOnly) {
      const v = side === 'min' ? Math.floor(excl) + 1 : Math.ceil(excl) - 1;
      candidates.push({ value: v, exclusive: false });
    } else {
      candidates.push({ value: excl, exclusive: true });
    }
  }
  // Several bounds on one side: the tightest one is what counts.
  return candidates.reduce<Bound | undefined>(
    (acc, b) => (acc === undefined || tighter(b, acc, side) ? b : acc),
    undefined,
  );
}

function tighter(a: Bound, b: Bound, side: 'min' | 'max'): boolean {
  if (a.value === b.value) return a.exclusive && !b.exclusive;
  return side === 'min' ? a.value > b.value : a.value < b.value;
}

function describe(b: Bound, side: 'min' | 'max'): string {
  return `${side === 'min' ? '>' : '<'}${b.exclusive ? '' : '='} ${b.value}`;
}

function compareLimits(walk: Walk, oldS: Schema, newS: Schema, path: string): void {
  for (const side of ['min', 'max'] as const) {
    const n = bound(newS, side);
    if (!n) continue;
    const o = bound(oldS, side);
    if (!o) walk.out.push(`${path}: ${side}imum ${describe(n, side)} added`);
    else if (tighter(n, o, side)) {
      walk.out.push(`${path}: ${side}imum tightened from ${describe(o, side)} to ${describe(n, side)}`);
    }
  }
  for (const key of MIN_SIZES) {
    const n = newS[key];
    const o = oldS[key];
    if (typeof n === 'number' && n > 0 && (typeof o !== 'number' || n > o)) {
      walk.out.push(`${path}: ${key} tightened from ${typeof o === 'number' ? o : 'none'} to ${n}`);
    }
  }
  for (const key of MAX_SIZES) {
    const n = newS[key];
    const o = oldS[key];
    if (typeof n === 'number' && (typeof o !== 'number' || n < o)) {
      walk.out.push(`${path}: ${key} tightened from ${typeof o === 'number' ? o : 'none'} to ${n}`);
    }
  }
  const n = newS.multipleOf;
  const o = oldS.multipleOf;
  if (typeof n === 'number' && (typeof o !== 'number' || !Number.isInteger(o / n))) {
    walk.out.push(`${path}: multipleOf ${n} no longer matches every value of the old schema`);
  }
}

function compareStrings(walk: Walk, oldS: Schema, newS: Schema, path: string): void {
  const oldPattern = JSON.stringify(oldS.pattern);
  const newPattern = JSON.stringify(newS.pattern);
  if (newS.pattern !== undefined && newPattern !== oldPattern) {
    walk.out.push(
      oldS.pattern === undefined
        ? `${path}: pattern added`
        : `${path}: pattern changed from ${oldPattern} to ${newPattern}`,
    );
  }
  const oldFormat = JSON.stringify(oldS.format);
  const newFormat = JSON.stringify(newS.format);
  if (newS.format !== undefined && newFormat !== oldFormat) {
    walk.out.push(
      oldS.format === undefined
        ? `${path}: format ${newFormat} added`
        : `${path}: format changed from ${oldFormat} to ${newFormat}`,
    );
  }
}

/** True when every value `oldSub` accepts is still accepted by `newSub`. */
function accepts(walk: Walk, oldSub: unknown, newSub: unknown): boolean {
  const probe: Walk = { oldRoot: walk.oldRoot, newRoot: walk.newRoot, seenRefs: walk.seenRefs, out: [] };
  compare(probe, oldSub, newSub, '#');
  return probe.out.length === 0;
}

function compareCombinators(walk: Walk, oldS: Schema, newS: Schema, path: string): void {
  for (const key of ['anyOf', 'oneOf'] as const) {
    const oldOpts = Array.isArray(oldS[key]) ? (oldS[key] as unknown[]) : undefined;
    const newOpts = Array.isArray(newS[key]) ? (newS[key] as unknown[]) : undefined;
    if (!newOpts) continue;
    if (!oldOpts) {
      // A union appeared: fine when what was accepted before fits one of its options.
      const { [key]: _u, ...rest } = oldS;
      if (!newOpts.some((opt) => accepts(walk, rest, opt))) {
        walk.out.push(`${path}: ${key} added that excludes values accepted before`);
      }
      continue;
    }
    oldOpts.forEach((opt, i) => {
      if (!newOpts.some((candidate) => accepts(walk, opt, candidate))) {
        walk.out.push(`${path}/${key}/${i}: option removed or narrowed`);
      }
    });
  }

  const oldAll = Array.isArray(oldS.allOf) ? oldS.allOf : [];
  const newAll = Array.isArray(newS.allOf) ? newS.allOf : [];
  newAll.forEach((sub: unknown, i) => {
    if (i < oldAll.length) compare(walk, oldAll[i], sub, `${path}/allOf/${i}`);
    else walk.out.push(`${path}/allOf/${i}: constraint added`);
  });

  if (newS.not !== undefined && stable(newS.not) !== stable(oldS.not)) {
    walk.out.push(`${path}: not-constraint added or changed`);
  }
}

function compareUnknown(walk: Walk, oldS: Schema, newS: Schema, path: string): void {
  for (const key of Object.keys(newS)) {
    if (HANDLED.has(key) || ANNOTATIONS.has(key)) continue;
    if (stable(newS[key]) !== stable(oldS[key])) {
      walk.out.push(`${path}: keyword ${key} added or changed (not checked automatically; review it)`);
    }
  }
}
