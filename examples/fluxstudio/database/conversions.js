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

/** Calendar dates: YYYY-MM-DD; '' and null are NULL. */
function date(v) {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) reject(`${JSON.stringify(v)} is not a date (YYYY-MM-DD)`);
  if (realDay(+v.slice(0, 4), +v.slice(5, 7), +v.slice(8, 10))) return v;
  if (Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v) reject(`${JSON.stringify(v)} is not a real date`);
  return v;
}

/** Ids: a UUID (any case) or a legacy id (text or a whole number), mapped to a UUID v5. */
function id(v, { nullable = false } = {}) {
  if (v === null || v === undefined || v === '') return nullable ? null : reject('has no id');
  if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) reject(`${JSON.stringify(v)} is not an id`);
  return toUuid(v);
}

export const convert = { text, bool, int, timestamp, date, id };

/**
 * Each entity: JSON field → column and conversion. `required` columns reject a missing value;
 * a column default is never used for a missing value, so a re-run writes the same row.
 */
export const ENTITIES = {
  users: {
    table: 'users',
    fields: {
      id: { column: 'id', conv: (v) => id(v) },
      email: { column: 'email', conv: (v) => text(v, { nullable: false }) },
      name: { column: 'name', conv: (v) => text(v, { nullable: false }) },
      role: { column: 'role', conv: (v) => text(v, { nullable: false }) },
      passwordHash: { column: 'password_hash', conv: (v) => text(v) },
      createdAt: { column: 'created_at', conv: timestamp },
      updatedAt: { column: 'updated_at', conv: timestamp },
    },
  },
  projects: {
    table: 'projects',
    fields: {
      id: { column: 'id', conv: (v) => id(v) },
      name: { column: 'name', conv: (v) => text(v, { nullable: false }) },
      description: { column: 'description', conv: (v) => text(v) },
      status: { column: 'status', conv: (v) => text(v, { nullable: false }) },
      ownerId: { column: 'owner_id', conv: (v) => id(v, { nullable: true }) },
      createdAt: { column: 'created_at', conv: timestamp },
      updatedAt: { column: 'updated_at', conv: timestamp },
    },
    children: { tasks: 'tasks', milestones: 'milestones' },
  },
  tasks: {
    table: 'tasks',
    parent: 'project_id',
    fields: {
      id: { column: 'id', conv: (v) => id(v) },
      title: { column: 'title', conv: (v) => text(v, { nullable: false }) },
      status: { column: 'status', conv: (v) => text(v, { nullable: false }) },
      priority: { column: 'priority', conv: (v) => int(v) ?? reject('missing, and the column requires a value') },
      dueDate: { column: 'due_date', conv: date },
      createdAt: { column: 'created_at', conv: timestamp },
    },
  },
  milestones: {
    table: 'milestones',
    parent: 'project_id',
    fields: {
      id: { column: 'id', conv: (v) => id(v) },
      title: { column: 'title', conv: (v) => text(v, { nullable: false }) },
      completed: { column: 'completed', conv: (v) => bool(v) ?? reject('missing, and the column requires a value') },
      dueDate: { column: 'due_date', conv: date },
      createdAt: { column: 'created_at', conv: timestamp },
    },
  },
};

/**
 * A record as a row, and what the rollback needs to give the record back exactly:
 * `legacy` holds its id as written, every field without a column, the original of
 * every value whose column form reads differently, the keys it had and their order,
 * and its position in the file. Throws Rejected with { field, value } for a bad field.
 */
const FIELDS = Object.fromEntries(Object.entries(ENTITIES).map(([e, spec]) => [e, Object.entries(spec.fields)]));

export function toRow(entity, rec, pos) {
  const spec = ENTITIES[entity];
  const row = {};
  const original = {};
  const fields = {};
  for (const [f, { column, conv }] of FIELDS[entity]) {
    const raw = rec[f];
    let value;
    try {
      value = conv(raw);
    } catch (e) {
      if (e instanceof Rejected) throw Object.assign(e, { field: f, value: raw });
      throw e;
    }
    row[column] = value;
    // a value kept as it came reads the same; only one whose column form differs keeps its original
    if (raw !== undefined && raw !== value && JSON.stringify(fromColumn(column, value)) !== JSON.stringify(raw)) original[f] = raw;
  }
  // fields without a column are kept as written; so is a list of children that is not a list
  for (const [k, v] of Object.entries(rec))
    if (!(k in spec.fields) && !(spec.children && k in spec.children && (Array.isArray(v) || v === undefined))) fields[k] = v;
  const legacy = { pos, keys: Object.keys(rec) };
  if (Object.keys(original).length) legacy.original = original;
  if (Object.keys(fields).length) legacy.fields = fields;
  row.legacy = legacy;
  return row;
}

/** A column value in its canonical JSON form (what the app itself writes). */
export function fromColumn(column, value) {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}

/**
 * A row back as its JSON record: the canonical value of each column, except where the
 * record's original still converts to the same column value — then the original as written.
 * Keys come back in their old order; a field the record never had stays absent while NULL.
 */
export function toRecord(entity, row, children = {}) {
  const spec = ENTITIES[entity];
  const legacy = row.legacy ?? null;
  const out = {};
  const values = {};
  // children lists (a project's tasks) sit at their old place; a list the record lacked appears only when not empty
  for (const [k, list] of Object.entries(children)) if (!(legacy?.fields && k in legacy.fields)) values[k] = list;
  for (const [f, { column, conv }] of Object.entries(spec.fields)) {
    let v = fromColumn(column, row[column]);
    const orig = legacy?.original;
    if (orig && f in orig) {
      let same = false;
      try {
        same = JSON.stringify(conv(orig[f])) === JSON.stringify(row[column] ?? null);
      } catch {
        same = false;
      }
      if (same) v = orig[f];
    }
    values[f] = v;
  }
  const keys = legacy?.keys ?? Object.keys(spec.fields);
  for (const k of keys) {
    if (k in values) out[k] = values[k];
    else if (legacy?.fields && k in legacy.fields) out[k] = legacy.fields[k];
  }
  // fields set since (through the app) that the record did not have
  for (const [f, v] of Object.entries(values)) if (!(f in out) && v !== null && !(Array.isArray(v) && !v.length && legacy)) out[f] = v;
  if (legacy?.fields) for (const [k, v] of Object.entries(legacy.fields)) if (!(k in out)) out[k] = v;
  return out;
}
