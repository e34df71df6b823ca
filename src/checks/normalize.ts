// Normalises values from JSON and PostgreSQL to one comparable text form, so a
// timestamp written "2025-10-17T10:00:00Z" in JSON equals a timestamptz column,
// 42 equals "42" in a numeric column, and key order inside JSON does not matter.
import { createHash } from 'node:crypto';

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

export function normalize(v: unknown, type: FieldType, namespace?: string): string | null {
  if (v === null || v === undefined || v === '') return null;
  switch (type) {
    case 'date': {
      // dates are compared as calendar days; PostgreSQL sends them as text (no time zone shift)
      const s = v instanceof Date ? v.toISOString() : String(v);
      return /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : s;
    }
    case 'key':
      return mapLegacyKey(v, namespace);
    case 'timestamp': {
      const ms = v instanceof Date ? v.getTime() : Date.parse(String(v));
      return Number.isNaN(ms) ? String(v) : new Date(ms).toISOString();
    }
    case 'number': {
      const n = Number(v);
      return Number.isNaN(n) ? String(v) : String(n);
    }
    case 'boolean':
      if (typeof v === 'boolean') return String(v);
      return ['t', 'true', '1', 'yes'].includes(String(v).toLowerCase()) ? 'true' : 'false';
    case 'json':
      return canonicalJson(typeof v === 'string' ? safeParse(v) : v);
    default:
      return typeof v === 'object' ? canonicalJson(v) : String(v).trim();
  }
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
  const keys = Object.keys(v as object).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson((v as Record<string, unknown>)[k])).join(',') + '}';
}

export function rowHash(values: Array<string | null>): string {
  // 120 bits of SHA-1, as a fresh 20-character string (not a slice that keeps a larger parent alive).
  return createHash('sha1').update(JSON.stringify(values)).digest().toString('base64', 0, 15);
}

/**
 * A flat copy of a string. Strings cut out of a parsed stream can be V8 "sliced strings"
 * that keep the whole chunk they came from alive; keys kept for a whole pass must not.
 */
export function flatString(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** RFC 4122 version-5 UUID: how legacy non-UUID ids are mapped, deterministically. */
export function uuidv5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(Buffer.concat([ns, Buffer.from(name, 'utf8')])).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function mapLegacyKey(key: unknown, namespace?: string): string {
  const s = flatString(String(key));
  if (!namespace || UUID.test(s)) return s.toLowerCase();
  return uuidv5(s, namespace);
}
