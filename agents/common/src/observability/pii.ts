/**
 * PII scrubbing for logs: free text (regex rules) and structured values (key-based, deep).
 *
 * Every rule is anchored by look-behind guards so a match can only start at a token boundary;
 * that keeps each pass linear in the string length and stops rules from firing inside longer
 * tokens (UUIDs, ISO timestamps, version numbers, hex trace ids).
 */

/** The fixed markers that replace redacted values, one per category. */
export const REDACTED = {
  email: '[REDACTED:email]',
  phone: '[REDACTED:phone]',
  card: '[REDACTED:card]',
  ip: '[REDACTED:ip]',
  token: '[REDACTED:token]',
  jwt: '[REDACTED:jwt]',
  apiKey: '[REDACTED:api_key]',
  secret: '[REDACTED:secret]',
} as const;

const MARKER_PREFIX = '[REDACTED:';

type Replacer = (match: string, ...groups: (string | undefined)[]) => string;

/** One free-text rule; `needs` is a cheap pre-check that skips the regex when it cannot match. */
interface TextRule {
  readonly re: RegExp;
  readonly needs?: RegExp;
  readonly replace: Replacer;
}

const HAS_DIGIT = /\d/;
const HAS_COLON = /:/;
const HAS_AT = /@/;
const HAS_KV_SEP = /[:=]/;

// Header-like names whose whole value is a credential (the rest of the line when unquoted:
// cookies and "Basic xyz" values contain separators).
const HEADER_VALUE_RE =
  /(?<![\w-])((?:proxy-)?authorization|set-cookie|cookie|x-api-key)(["']?[ \t]*[:=][ \t]*)(?:"((?:[^"\\\r\n]|\\.)*)"|'([^'\r\n]*)'|([^\r\n"'}]+))/gi;

// `name=value`, `name: value` and `"name":"value"` where the name mentions a secret.
const KEY_VALUE_RE =
  /(?<![\w-])([\w-]*?(?:passw(?:or)?d|pwd|secret|credential|token|api[_-]?key|key)[\w-]*)(["']?[ \t]*[:=][ \t]*)(?:"((?:[^"\\\r\n]|\\.)*)"|'([^'\r\n]*)'|([^\s"',;&}\])]+))/gi;
// Names whose value is a secret whatever it looks like; other names need a secret-looking value.
const ALWAYS_SECRET_NAME_RE = /passw(?:or)?d|pwd|secret|credential/i;
const HEX_SECRET_RE = /^[0-9a-f]{16,}$/i;
const BASE64_SECRET_RE = /^[A-Za-z0-9+/_-]{20,}={0,2}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const BEARER_RE = /(?<![\w-])(Bearer)([ \t]+)([A-Za-z0-9\-._~+/]{8,}=*)/gi;
const BEARER_TOKEN_SHAPE_RE = /[\d\-._~+/=]/;

const JWT_RE = /(?<![\w-])eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;

const API_KEY_RE = new RegExp(
  '(?<![\\w-])(?:' +
    [
      'sk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_-]{20,}', // OpenAI / Anthropic
      '(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}', // Stripe
      '(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}', // AWS access key ids
      'gh[pousr]_[A-Za-z0-9]{30,}', // GitHub tokens
      'github_pat_[A-Za-z0-9_]{22,}', // GitHub fine-grained tokens
      'xox[abprs]-[A-Za-z0-9-]{10,}', // Slack
      'AIza[0-9A-Za-z_-]{35}', // Google API keys
      'glpat-[A-Za-z0-9_-]{20,}', // GitLab
    ].join('|') +
    ')(?![\\w-])',
  'g',
);

const EMAIL_RE = /(?<![\w.%+-])[\w.%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}(?![\w-])/g;

// Cards start with 2–6 (Mastercard, Visa, Amex, Discover, JCB, UnionPay, Diners): this keeps
// epoch-millisecond timestamps (which start with 1) out; the Luhn check is in the replacer.
const CARD_RE =
  /(?<![\w.+-])(?:[2-6]\d{12,18}|[2-6]\d{3}([ -])\d{4}\1\d{4}\1\d{1,7}|[2-6]\d{3}([ -])\d{6}\2\d{4,5})(?![\w-]|\.\d)/g;

const H16 = '[0-9a-f]{1,4}';
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `(?:${OCTET}\\.){3}${OCTET}`;
const IPV6_RE = new RegExp(
  '(?<![\\w:.])(?:' +
    [
      `(?:${H16}:){6}${IPV4}`,
      `::(?:ffff(?::0{1,4})?:)?${IPV4}`,
      `(?:${H16}:){1,4}:${IPV4}`,
      `(?:${H16}:){7}${H16}`,
      `(?:${H16}:){1,7}:`,
      `(?:${H16}:){1,6}:${H16}`,
      `(?:${H16}:){1,5}(?::${H16}){1,2}`,
      `(?:${H16}:){1,4}(?::${H16}){1,3}`,
      `(?:${H16}:){1,3}(?::${H16}){1,4}`,
      `(?:${H16}:){1,2}(?::${H16}){1,5}`,
      `${H16}:(?::${H16}){1,6}`,
      `:(?:(?::${H16}){1,7}|:)`,
    ].join('|') +
    ')(?:%[\\w.]+)?(?![\\w:]|\\.\\d)',
  'gi',
);
const IPV4_RE = new RegExp(`(?<![\\w.])${IPV4}(?![\\w]|\\.\\d)`, 'g');
// Loopback and unspecified addresses identify no one and make bind/listen logs unreadable when hidden.
const NON_PERSONAL_IP_RE = /^(?:127\.\d+\.\d+\.\d+|0\.0\.0\.0|::1?|::ffff:127\.\d+\.\d+\.\d+)$/i;

// International numbers: "+" (or its URL encoding) then 8–15 digits (E.164) with single separators or an (area) group.
const INTL_PHONE_RE = /(?<![\w+%])(?:\+|%2B)\d(?:[ .-]?(?:\d|\(\d{1,4}\))){6,16}(?!\w)/g;
// National formats: (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567, 020 7946 0958.
const NATIONAL_PHONE_RE =
  /(?<![\w.:/+-])(?:\(\d{2,5}\)[ .-]?\d{3,4}[ .-]?\d{3,4}|\d{3}([ .-])\d{3}\1\d{4}|0\d{1,4}[ -]\d{3,4}[ -]\d{3,4})(?![\w:/-]|\.\d)/g;

/** Luhn checksum over a string of digits. */
function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function looksLikeSecret(value: string): boolean {
  if (HEX_SECRET_RE.test(value)) return true;
  if (UUID_RE.test(value) || !BASE64_SECRET_RE.test(value)) return false;
  // Random base64 mixes cases and digits; identifiers such as "tenant-42-jobs-queue" do not.
  return /[a-z]/.test(value) && /[A-Z]/.test(value) && /\d/.test(value);
}

/** Rebuilds `name<sep>value` with the value replaced, keeping the quoting style. */
function keepNameReplaceValue(
  name: string,
  sep: string,
  dq: string | undefined,
  sq: string | undefined,
  marker: string,
): string {
  if (dq !== undefined) return `${name}${sep}"${marker}"`;
  if (sq !== undefined) return `${name}${sep}'${marker}'`;
  return `${name}${sep}${marker}`;
}

const RULES: readonly TextRule[] = [
  {
    re: HEADER_VALUE_RE,
    needs: HAS_KV_SEP,
    replace: (match, name = '', sep = '', dq, sq, bare) => {
      const value = dq ?? sq ?? bare ?? '';
      if (value.trim() === '' || value.startsWith(MARKER_PREFIX)) return match;
      return keepNameReplaceValue(name, sep, dq, sq, REDACTED.secret);
    },
  },
  {
    re: KEY_VALUE_RE,
    needs: HAS_KV_SEP,
    replace: (match, name = '', sep = '', dq, sq, bare) => {
      const value = dq ?? sq ?? bare ?? '';
      if (value === '' || value.startsWith(MARKER_PREFIX)) return match;
      if (!ALWAYS_SECRET_NAME_RE.test(name) && !looksLikeSecret(value)) return match;
      return keepNameReplaceValue(name, sep, dq, sq, REDACTED.secret);
    },
  },
  {
    re: BEARER_RE,
    replace: (match, scheme = '', space = '', token = '') =>
      BEARER_TOKEN_SHAPE_RE.test(token) ? `${scheme}${space}${REDACTED.token}` : match,
  },
  { re: JWT_RE, replace: () => REDACTED.jwt },
  { re: API_KEY_RE, replace: () => REDACTED.apiKey },
  { re: EMAIL_RE, needs: HAS_AT, replace: () => REDACTED.email },
  {
    re: CARD_RE,
    needs: HAS_DIGIT,
    replace: (match) => {
      const digits = match.replace(/\D/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) ? REDACTED.card : match;
    },
  },
  {
    re: IPV6_RE,
    needs: HAS_COLON,
    replace: (match) => (NON_PERSONAL_IP_RE.test(match) ? match : REDACTED.ip),
  },
  {
    re: IPV4_RE,
    needs: HAS_DIGIT,
    replace: (match) => (NON_PERSONAL_IP_RE.test(match) ? match : REDACTED.ip),
  },
  {
    re: INTL_PHONE_RE,
    needs: HAS_DIGIT,
    replace: (match) => {
      const count = match.replace(/\D/g, '').length;
      return count >= 8 && count <= 15 ? REDACTED.phone : match;
    },
  },
  { re: NATIONAL_PHONE_RE, needs: HAS_DIGIT, replace: () => REDACTED.phone },
];

/** Replaces every PII match in free text with its {@link REDACTED} marker; idempotent. */
export function scrubText(s: string): string {
  if (s.length < 3) return s;
  let out = s;
  for (const rule of RULES) {
    if (rule.needs !== undefined && !rule.needs.test(out)) continue;
    out = out.replace(rule.re, rule.replace);
  }
  return out;
}

// Compared after lower-casing and dropping "-" and "_", so apiKey, api_key and API-KEY all match.
const SENSITIVE_KEYS: ReadonlySet<string> = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'xapikey',
  'apikey',
  'password',
  'passwd',
  'secret',
  'token',
  'accesstoken',
  'refreshtoken',
  'clientsecret',
  'privatekey',
]);
const SENSITIVE_KEY_SUFFIXES = ['password', 'passwd', 'secret', 'token', 'apikey', 'privatekey'];

/** True when a field of this name holds a credential, at any depth and in any casing. */
export function isSensitiveKey(key: string): boolean {
  const norm = key.toLowerCase().replace(/[-_]/g, '');
  if (SENSITIVE_KEYS.has(norm)) return true;
  return SENSITIVE_KEY_SUFFIXES.some((suffix) => norm.endsWith(suffix));
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function hasToJSON(v: object): v is { toJSON: () => unknown } {
  return typeof (v as { toJSON?: unknown }).toJSON === 'function';
}

/**
 * A scrubbed deep copy of `v`: strings through {@link scrubText}, values under credential keys
 * replaced wholesale. Cycles and shared references map to the same copy, so every object is
 * scrubbed once and a cyclic input gives a cyclic output (which JSON serialisers already handle).
 */
export function scrubValue(v: unknown): unknown {
  return scrubInner(v, new WeakMap<object, unknown>());
}

function scrubInner(v: unknown, seen: WeakMap<object, unknown>): unknown {
  if (typeof v === 'string') return scrubText(v);
  if (typeof v !== 'object' || v === null) return v;
  const done = seen.get(v);
  if (done !== undefined) return done;

  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (const item of v) out.push(scrubInner(item, seen));
    return out;
  }
  if (v instanceof Error) return scrubError(v, seen);
  if (v instanceof Date) return v;
  if (!isPlainObject(v) && hasToJSON(v)) {
    // Serialise the way JSON.stringify would, then scrub that (URLs carry query strings).
    const json = v.toJSON();
    seen.set(v, json);
    const scrubbed = scrubInner(json, seen);
    seen.set(v, scrubbed);
    return scrubbed;
  }
  const out: Record<string, unknown> = {};
  seen.set(v, out);
  scrubFields(v as Record<string, unknown>, out, seen);
  return out;
}

function scrubFields(
  src: Record<string, unknown>,
  out: Record<string, unknown>,
  seen: WeakMap<object, unknown>,
): void {
  for (const key of Object.keys(src)) {
    const value = src[key];
    out[key] = isSensitiveKey(key) && isHideable(value) ? REDACTED.secret : scrubInner(value, seen);
  }
}

// Null, undefined and booleans carry no secret; keeping them shows whether a credential was sent.
function isHideable(value: unknown): boolean {
  return value !== null && value !== undefined && typeof value !== 'boolean';
}

function scrubError(err: Error, seen: WeakMap<object, unknown>): Error {
  // Same prototype keeps `instanceof` and the logger's error serialiser working on the copy.
  const copy = Object.create(Object.getPrototypeOf(err) as object | null) as Error;
  seen.set(err, copy);
  const hidden = (name: string, value: unknown): void => {
    Object.defineProperty(copy, name, { value, writable: true, configurable: true, enumerable: false });
  };
  hidden('message', scrubText(err.message));
  if (typeof err.stack === 'string') hidden('stack', scrubText(err.stack));
  if (Object.prototype.hasOwnProperty.call(err, 'name')) hidden('name', scrubInner(err.name, seen));
  if ('cause' in err) hidden('cause', scrubInner(err.cause, seen));
  scrubFields(err as unknown as Record<string, unknown>, copy as unknown as Record<string, unknown>, seen);
  return copy;
}
