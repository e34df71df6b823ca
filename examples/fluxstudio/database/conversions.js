// The one table of conversions between Flux Studio's JSON records and PostgreSQL
// columns, used by the migration (JSON → row) and the rollback (row → JSON). Exact:
// a value converts to one column value or is rejected with a reason; nothing is
// guessed (no "now" for a date, no truthiness for a boolean, no trimming of text).
import { toUuid } from './config.js';

/** Thrown for a value that has no exact column value. */
export class Rejected extends Error {}

const reject = (why) => {
  throw new Rejected(why);
};

const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Text: kept as written. PostgreSQL cannot hold NUL, and a lone surrogate is half a character. */
function text(v, { nullable = true } = {}) {
  if (v === null || v === undefined) return nullable ? null : reject('missing, and the column requires a value');
  if (typeof v !== 'string') reject(`a ${typeof v}, not text`);
  if (v.includes('\u0000')) reject('contains a NUL character, which PostgreSQL text cannot hold');
  if (!v.isWellFormed()) reject('contains a broken character (half of a UTF-16 surrogate pair)');
  return v;
}

/** Booleans: true, false, "true", "false", 0 or 1 — anything else is rejected. */
function bool(v) {
  if (v === null || v === undefined) return null;
  if (v === true || v === 'true' || v === 1) return true;
  if (v === false || v === 'false' || v === 0) return false;
  return reject(`${JSON.stringify(v)} is not a boolean (true, false, "true", "false", 0 or 1)`);
}

/** Integers: a whole number, or a string of digits; booleans and fractions are rejected. */
function int(v) {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || Math.abs(n) > 2 ** 31 - 1) reject(`${JSON.stringify(v)} is not a whole number`);
  return n;
}

/**
 * Timestamps: ISO 8601 with or without a zone; without one it is UTC, whatever the server's
 * TimeZone. The column value is written with six fractional digits, as PostgreSQL keeps it.
 * '' and null are NULL; words ("now") and epoch numbers are rejected.
 */
const ISO_UTC = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z$/;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** a real day: what the Date round trip below accepts, without Date */
const realDay = (y, m, d) => m >= 1 && m <= 12 && d >= 1 && d <= (m === 2 && ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0) ? 29 : DAYS[m - 1]);

function timestamp(v) {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v !== 'string') reject(`${JSON.stringify(v)} is not an ISO 8601 date and time`);
  // the usual notation, already UTC and in range, is its own answer (the long way gives the same)
  const f = ISO_UTC.exec(v);
  if (f && realDay(+f[1], +f[2], +f[3]) && +f[4] < 24 && +f[5] < 60 && +f[6] < 60) return `${v.slice(0, 19)}.${(f[7] ?? '').padEnd(6, '0')}Z`;
  const m = ISO.exec(v);
  if (!m) reject(`${JSON.stringify(v)} is not an ISO 8601 date and time`);
  const [, day, hh = '00', mm = '00', ss = '00', frac = '', zone = 'Z'] = m;
  const z = zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${day}T${hh}:${mm}:${ss}${z}`);
  if (Number.isNaN(ms) || new Date(Date.parse(`${day}T00:00:00Z`)).toISOString().slice(0, 10) !== day) reject(`${JSON.stringify(v)} is not a real date`);
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac.padEnd(6, '0')}Z`;
}

/** Calendar dates: YYYY-MM-DD, or a timestamp at midnight UTC (some stores write dates so); '' and null are NULL. */
function date(v) {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'string' && v.length > 10 && ISO.test(v)) {
    // a date written as a time: exactly midnight UTC is that day; any other time is not a date
    let t;
    try {
      t = timestamp(v);
    } catch {
      reject(`${JSON.stringify(v)} is not a date (YYYY-MM-DD)`);
    }
    if (t.endsWith('T00:00:00.000000Z')) return t.slice(0, 10);
    reject(`${JSON.stringify(v)} is a time of day, not a date: only midnight UTC converts to its date (YYYY-MM-DD)`);
  }
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) reject(`${JSON.stringify(v)} is not a date (YYYY-MM-DD)`);
  if (realDay(+v.slice(0, 4), +v.slice(5, 7), +v.slice(8, 10))) return v;
  if (Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v) reject(`${JSON.stringify(v)} is not a real date`);
  return v;
}

/**
 * Ids: a UUID (any case) or a legacy id (text or a whole number), mapped to a UUID v5. `scope`:
 * the parent's uuid for an id that is unique only within its parent (task "1" of each project).
 */
function id(v, nullable = false, scope = undefined) {
  if (v === null || v === undefined || v === '') return nullable ? null : reject('has no id');
  if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) reject(`${JSON.stringify(v)} is not an id`);
  return toUuid(v, scope);
}

export const convert = { text, bool, int, timestamp, date, id };

/**
 * Each entity: JSON field → column, its type, and what a missing value (absent, or null) does:
 * `required` rejects the record; `default` is the column's constant default (schema.sql), which
 * the migration fills with --defaults=fill (the default: what the app itself writes) and counts,
 * or rejects with --defaults=reject; any other field stays NULL. Only a constant default is
 * declared: it writes the same row on every run (a now() would not). `unique`: a column
 * PostgreSQL keeps unique, decided by --on-duplicate like an id. `keyScope: 'parent'`: a legacy
 * (non-uuid) id is unique only within its parent, and is mapped together with it.
 * Migration, rollback and validation (validation-spec.js) all read this one table.
 */
export const ENTITIES = {
  users: {
    table: 'users',
    fields: {
      id: { column: 'id', type: 'id' },
      email: { column: 'email', type: 'text', required: true, unique: true },
      name: { column: 'name', type: 'text', required: true },
      role: { column: 'role', type: 'text', default: 'user' },
      passwordHash: { column: 'password_hash', type: 'text' },
      createdAt: { column: 'created_at', type: 'timestamp' },
      updatedAt: { column: 'updated_at', type: 'timestamp' },
    },
  },
  projects: {
    table: 'projects',
    fields: {
      id: { column: 'id', type: 'id' },
      name: { column: 'name', type: 'text', required: true },
      description: { column: 'description', type: 'text' },
      status: { column: 'status', type: 'text', default: 'active' },
      ownerId: { column: 'owner_id', type: 'ref' },
      createdAt: { column: 'created_at', type: 'timestamp' },
      updatedAt: { column: 'updated_at', type: 'timestamp' },
    },
    children: { tasks: 'tasks', milestones: 'milestones' },
  },
  tasks: {
    table: 'tasks',
    parent: 'project_id',
    keyScope: 'parent',
    fields: {
      id: { column: 'id', type: 'id' },
      title: { column: 'title', type: 'text', required: true },
      status: { column: 'status', type: 'text', default: 'todo' },
      priority: { column: 'priority', type: 'int', default: 3 },
      dueDate: { column: 'due_date', type: 'date' },
      createdAt: { column: 'created_at', type: 'timestamp' },
    },
  },
  milestones: {
    table: 'milestones',
    parent: 'project_id',
    keyScope: 'parent',
    fields: {
      id: { column: 'id', type: 'id' },
      title: { column: 'title', type: 'text', required: true },
      completed: { column: 'completed', type: 'bool', default: false },
      dueDate: { column: 'due_date', type: 'date' },
      createdAt: { column: 'created_at', type: 'timestamp' },
    },
  },
};

const BY_TYPE = { text, bool, int, timestamp, date };

/**
 * A field's conversion, made once: (value, ctx) → column value. `ctx.parent`: the parent's uuid
 * (nested records); `ctx.defaults`: 'fill' or 'reject'; `ctx.filled`: the fields a default was
 * filled for are added to it (a list made on the first).
 */
function converter(entity, f, spec) {
  const scoped = ENTITIES[entity].keyScope === 'parent';
  const base =
    spec.type === 'id' ? (v, ctx) => id(v, false, scoped ? ctx.parent : undefined) : spec.type === 'ref' ? (v) => id(v, true) : BY_TYPE[spec.type];
  if ('default' in spec)
    return (v, ctx) => {
      const out = base(v, ctx);
      if (out !== null) return out;
      if (ctx.defaults === 'reject')
        reject(`${v === undefined ? 'missing' : 'null'}; the column's default is ${JSON.stringify(spec.default)} (--defaults=fill would write it)`);
      (ctx.filled ??= []).push(f);
      return spec.default;
    };
  if (spec.required) return (v, ctx) => base(v, ctx) ?? reject('missing, and the column requires a value');
  return base;
}

const FIELDS = Object.fromEntries(
  Object.entries(ENTITIES).map(([e, spec]) => [e, Object.entries(spec.fields).map(([f, s]) => [f, { ...s, conv: converter(e, f, s) }])]),
);
const CONV = Object.fromEntries(Object.entries(FIELDS).map(([e, list]) => [e, Object.fromEntries(list.map(([f, s]) => [f, s.conv]))]));

/** One field's column value (see converter). */
export const convertField = (entity, f, v, ctx = {}) => CONV[entity][f](v, ctx);

/** Thrown where a record of a map has an id other than its key in the map. */
const keyMismatch = (entity, raw, key) =>
  new Rejected(`id ${JSON.stringify(raw)} is not its key ${JSON.stringify(key)} in the map of ${entity}: make them the same in the JSON`);

/**
 * A record as a row, and what the rollback needs to give the record back exactly:
 * `legacy` holds its id as written, every field without a column, the original of
 * every value whose column form reads differently, the keys it had and their order,
 * its position in the file, the fields a default was filled for, the key of a record
 * kept in a map, and which children lists were maps. Throws Rejected with { field, value }
 * for a bad field. `ctx`: { parent (uuid), defaults ('fill' | 'reject'), mapKey }.
 */
export function toRow(entity, rec, pos, ctx = {}) {
  const spec = ENTITIES[entity];
  const row = {};
  const original = {};
  const fields = {};
  const c = { parent: ctx.parent, defaults: ctx.defaults ?? 'fill', filled: undefined };
  for (const [f, { column, conv }] of FIELDS[entity]) {
    const raw = rec[f];
    let value;
    try {
      if (f === 'id' && ctx.mapKey !== undefined) {
        // a record of a map: its key is its id, where it has none of its own
        const byKey = conv(ctx.mapKey, c);
        if (raw !== undefined && raw !== null && raw !== '' && conv(raw, c) !== byKey) throw keyMismatch(entity, raw, ctx.mapKey);
        value = byKey;
      } else value = conv(raw, c);
    } catch (e) {
      if (e instanceof Rejected) throw Object.assign(e, { field: f, value: raw });
      throw e;
    }
    row[column] = value;
    // a value kept as it came reads the same; only one whose column form differs keeps its original
    // (two different texts differ as JSON too: a time of each record is told without two stringify calls)
    if (raw !== undefined && raw !== value && ((typeof raw === 'string' && typeof value === 'string') || JSON.stringify(fromColumn(column, value)) !== JSON.stringify(raw)))
      original[f] = raw;
  }
  // fields without a column are kept as written; so is a null list of children (no children)
  const maps = [];
  for (const [k, v] of Object.entries(rec)) {
    if (k in spec.fields) continue;
    const child = spec.children && k in spec.children;
    if (child && isMap(v)) maps.push(k);
    else if (!(child && (Array.isArray(v) || v === undefined))) fields[k] = v;
  }
  const legacy = { pos, keys: Object.keys(rec) };
  if (Object.keys(original).length) legacy.original = original;
  if (Object.keys(fields).length) legacy.fields = fields;
  if (c.filled) legacy.filled = c.filled;
  if (ctx.mapKey !== undefined) legacy.mapKey = ctx.mapKey;
  if (maps.length) legacy.maps = maps;
  row.legacy = legacy;
  return row;
}

/** A list of children written as an object keyed by id. */
export const isMap = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A column value in its canonical JSON form (what the app itself writes). */
export function fromColumn(column, value) {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}

/**
 * A row back as its JSON record: the canonical value of each column, except where the
 * record's original still converts to the same column value — then the original as written.
 * Keys come back in their old order; a field the record never had stays absent while NULL,
 * or while it holds the default the migration filled. `children`: each children list's rows
 * (with their legacy), given back as a list, or as the map the record had.
 */
export function toRecord(entity, row, children = {}) {
  const spec = ENTITIES[entity];
  const legacy = row.legacy ?? null;
  const out = {};
  const values = {};
  const parent = spec.parent ? row[spec.parent] : undefined;
  for (const [k, rows] of Object.entries(children)) {
    // a children field the record had as written (null) stays so while it has no children
    if (legacy?.fields && k in legacy.fields && !rows.length) continue;
    const records = rows.map((r) => toRecord(spec.children[k], r));
    values[k] = legacy?.maps?.includes(k)
      ? Object.fromEntries(records.map((r, i) => [rows[i].legacy?.mapKey ?? String(rows[i].id), r]))
      : records;
  }
  for (const [f, { column, conv, ...field }] of FIELDS[entity]) {
    let v = fromColumn(column, row[column]);
    const orig = legacy?.original;
    if (orig && f in orig) {
      let same = false;
      try {
        same = JSON.stringify(conv(orig[f], { parent })) === JSON.stringify(row[column] ?? null);
      } catch {
        same = false;
      }
      if (same) v = orig[f];
    }
    // a field the record lacked, filled by the migration and unchanged since: absent, as written
    if (legacy?.filled?.includes(f) && !legacy.keys.includes(f) && JSON.stringify(v) === JSON.stringify(field.default)) continue;
    values[f] = v;
  }
  const keys = legacy?.keys ?? Object.keys(spec.fields);
  for (const k of keys) {
    if (k in values) out[k] = values[k];
    else if (legacy?.fields && k in legacy.fields) out[k] = legacy.fields[k];
  }
  // fields set since (through the app) that the record did not have; never the id (a record of a map may have none)
  for (const [f, v] of Object.entries(values))
    if (!(f in out) && v !== null && !(legacy && f === 'id') && !(Array.isArray(v) && !v.length && legacy)) out[f] = v;
  if (legacy?.fields) for (const [k, v] of Object.entries(legacy.fields)) if (!(k in out)) out[k] = v;
  return out;
}
