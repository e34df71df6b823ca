// Values from JSON and PostgreSQL as one comparable text, so only notation is forgiven:
// "2025-10-17T12:30:00+02:00" equals a timestamptz of 10:30 UTC, 42 equals "42" in a
// numeric column, key order inside JSON does not matter. Real differences stay.
import { createHash, hash } from 'node:crypto';

export type FieldType = 'text' | 'number' | 'boolean' | 'timestamp' | 'date' | 'json' | 'key';

export function pgTypeToField(dataType: string): FieldType {
  const t = dataType.toLowerCase();
  if (t.startsWith('timestamp')) return 'timestamp';
  if (t === 'date') return 'date';
  if (/^(integer|bigint|smallint|numeric|real|double precision|decimal)/.test(t)) return 'number';
  if (t === 'boolean') return 'boolean';
  if (t === 'json' || t === 'jsonb' || t === 'array' || t.endsWith('[]')) return 'json';
  return 'text';
}

/** Normalisations a runbook may declare per field; none applies unless declared. */
export type Normalisation = 'trim' | 'empty_is_null' | 'case_insensitive' | 'midnight_utc_is_date';

const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
/** by the characters after a time's seconds (its point and digits): what makes six digits, and the Z */
const TO_MICROS = ['.000000Z', '', '00000Z', '0000Z', '000Z', '00Z', '0Z', 'Z'];

/** The two digits at i and i+1 as a number; NaN when either is not a digit. */
function two(v: string, i: number): number {
  const a = v.charCodeAt(i) - 0x30;
  const b = v.charCodeAt(i + 1) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

/**
 * The common notation, already UTC (YYYY-MM-DDTHH:MM:SS, up to six fractional digits, Z), read
 * character by character: a real time in it is its own answer with the fraction made six digits
 * long. Undefined for anything else (e.g. 24:00, 30 February, an offset), which takes the long
 * way. Every timestamp of a validation passes here: a regular expression's match took 4× as long.
 */
function utcMicros(v: string): string | undefined {
  const n = v.length;
  if (n < 20 || n > 27 || n === 21 || v.charCodeAt(n - 1) !== 0x5a) return undefined;
  if (v.charCodeAt(4) !== 0x2d || v.charCodeAt(7) !== 0x2d || v.charCodeAt(10) !== 0x54) return undefined;
  if (v.charCodeAt(13) !== 0x3a || v.charCodeAt(16) !== 0x3a) return undefined;
  if (n > 20) {
    if (v.charCodeAt(19) !== 0x2e) return undefined;
    for (let i = 20; i < n - 1; i++) {
      const c = v.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return undefined;
    }
  }
  const y = two(v, 0) * 100 + two(v, 2);
  const mo = two(v, 5);
  const d = two(v, 8);
  // NaN fails every comparison: a non-digit anywhere ends here
  if (!(y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= (mo === 2 && leap(y) ? 29 : DAYS[mo - 1]))) return undefined;
  if (!(two(v, 11) < 24 && two(v, 14) < 60 && two(v, 17) < 60)) return undefined;
  return n === 27 ? v : n === 20 ? v.slice(0, 19) + TO_MICROS[0] : v.slice(0, n - 1) + TO_MICROS[n - 20];
}

/** An ISO 8601 time as UTC with six fractional digits (zone-less is UTC); undefined when it is not one. */
export function isoMicros(v: string): string | undefined {
  return utcMicros(v) ?? isoMicrosByDate(v);
}

/** A time exactly at midnight UTC as its day (a date some stores write as a time); anything else as it is. */
function utcDay(v: string): string {
  const t = isoMicros(v);
  return t?.endsWith('T00:00:00.000000Z') ? t.slice(0, 10) : v;
}

/** The reference: through Date, for every notation the pattern allows. */
export function isoMicrosByDate(v: string): string | undefined {
  const m = ISO.exec(v);
  if (!m) return undefined;
  const [, day, hh = '00', mm = '00', ss = '00', frac = '', zone = 'Z'] = m;
  const z = zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${day}T${hh}:${mm}:${ss}${z}`);
  return Number.isNaN(ms) ? undefined : `${new Date(ms).toISOString().slice(0, 19)}.${frac.padEnd(6, '0')}Z`;
}

/** A value that is not what its type expects keeps its own text, marked so it can never equal a typed one. */
const raw = (v: unknown) => `≠${typeof v === 'string' ? v : JSON.stringify(v)}`;

/**
 * One comparable text per value, exact by default: text is never trimmed, '' is not NULL,
 * a boolean is only true/false (or "true"/"false"/0/1, as the migration converts), a time
 * keeps its microseconds. Only notation differs between the two sides (a time zone, 2 vs "2").
 * A field's declared normalisations (trim, empty_is_null, case_insensitive) apply first.
 */
export function normalize(
  v: unknown,
  type: FieldType,
  namespace?: string,
  norms: readonly Normalisation[] = [],
): string | null {
  let x = v instanceof Date ? v.toISOString() : v;
  if (x === undefined || x === null) return null;
  const some = norms.length > 0; // most fields declare none: three searches of an empty list saved
  if (some && typeof x === 'string' && norms.includes('trim')) x = x.trim();
  if (some && x === '' && norms.includes('empty_is_null')) return null;
  let out: string;
  switch (type) {
    case 'date':
      if (some && typeof x === 'string' && x.length > 10 && norms.includes('midnight_utc_is_date')) x = utcDay(x);
      out = typeof x === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(x) ? x : raw(x);
      break;
    case 'key':
      out = mapLegacyKey(x, namespace);
      break;
    case 'timestamp':
      out = (typeof x === 'string' && isoMicros(x)) || raw(x);
      break;
    case 'number':
      out =
        typeof x === 'number'
          ? String(x)
          : typeof x === 'string' && /^-?\d+(\.\d+)?$/.test(x)
            ? String(Number(x))
            : raw(x);
      break;
    case 'boolean':
      out =
        x === true || x === 'true' || x === 't' || x === 1
          ? 'true'
          : x === false || x === 'false' || x === 'f' || x === 0
            ? 'false'
            : raw(x);
      break;
    case 'json':
      out = canonicalJson(typeof x === 'string' ? safeParse(x) : x);
      break;
    default:
      out = typeof x === 'object' ? canonicalJson(x) : primitive(x);
  }
  return some && norms.includes('case_insensitive') ? out.toLowerCase() : out;
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
  const keys = Object.keys(v).sort();
  return (
    '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson((v as Record<string, unknown>)[k])).join(',') + '}'
  );
}

/** what makes record_out() quote a text: isspace() is C's, not Unicode's */
const RECORD_QUOTED = /["\\(),\t\n\v\f\r ]/;
const RECORD_DOUBLED = /["\\]/g;
/** a byte that is never in UTF-8: a text with a lone surrogate ends in it, so it equals no text */
const NOT_UTF8 = Buffer.from([0xff]);

/**
 * The values as PostgreSQL writes a row of texts (record_out): NULL is nothing, '' is "", a
 * text holding a quote, a backslash, a parenthesis, a comma or a blank is quoted with its
 * quotes and backslashes doubled. One text per list of values, and one list per text.
 */
export function rowText(values: Array<string | null>): string {
  let s = '(';
  for (let i = 0; i < values.length; i++) {
    if (i) s += ',';
    const v = values[i];
    if (v === null) continue;
    s += v === '' ? '""' : RECORD_QUOTED.test(v) ? `"${v.replace(RECORD_DOUBLED, '$&$&')}"` : v;
  }
  return s + ')';
}

export function rowHash(values: Array<string | null>): string {
  // SHA-256 in one call (crypto.hash): a Hash object per row cost 5× as much. Base64: 44
  // characters to keep and to read from the server where hex took 64, at the same speed (200k
  // users: 18 MB less at the peak). PostgreSQL computes the same digest of the same text (validate-pg.ts).
  const text = rowText(values);
  // UTF-8 has no lone surrogate (a JSON string may: "\ud800"); encoded, it would become U+FFFD
  // and equal a text that holds U+FFFD. PostgreSQL's text is always UTF-8: this can equal none.
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed())
    return hash('sha256', Buffer.concat([Buffer.from(text), NOT_UTF8]), 'base64');
  return hash('sha256', text, 'base64');
}

/**
 * /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, written out: every key and
 * parent key of a validation passes here, and the case-insensitive regex cost 0.2 s per million.
 */
export function isUuid(s: string): boolean {
  if (s.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
    } else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))) return false;
  }
  return true;
}

/** RFC 4122 version-5 UUID: how legacy non-UUID ids are mapped, deterministically. */
export function uuidv5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1')
    .update(Buffer.concat([ns, Buffer.from(name, 'utf8')]))
    .digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function mapLegacyKey(key: unknown, namespace?: string): string {
  const s = typeof key === 'string' ? key : String(key);
  // a uuid already in lower case, as most are: itself (every key of a validation passes here)
  if (isLowerUuid(s)) return s;
  if (!namespace || isUuid(s)) return s.toLowerCase();
  return uuidv5(s, namespace);
}

function isLowerUuid(s: string): boolean {
  if (s.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
    } else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** What String() gives for a primitive; nothing for a symbol or a function (never in JSON or a row). */
function primitive(x: unknown): string {
  if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint')
    return String(x);
  return x === undefined ? 'undefined' : '';
}
