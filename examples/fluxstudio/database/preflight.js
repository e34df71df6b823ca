// The migration's pre-flight of one JSON file: every record converted (or rejected with its
// reason), counted into the plan, and its row written out in COPY form for the staging table.
// users.json and projects.json are checked at once, one of them in a worker thread
// (preflight-worker.js): the two cores share the parsing.
import { USERS_FILE, PROJECTS_FILE } from './config.js';
import { records } from './json-stream.js';
import { ENTITIES, Rejected, toRow, isMap, convertField } from './conversions.js';
import { toUuid } from './config.js';

const base = (f) => f.split('/').pop();
export const isRecord = (r) => r !== null && typeof r === 'object' && !Array.isArray(r);

/**
 * The records of one file, with where each stands: entity, position, parent. Malformed ones too.
 * A children field that is an object keyed by id gives its values, each with its key (`mapKey`);
 * a null one holds no children.
 */
export async function* walkFile(which) {
  let pos = 0;
  if (which === 'users') {
    for await (const u of records(USERS_FILE, 'users')) yield { entity: 'users', pos: pos++, rec: u, where: `${base(USERS_FILE)} users[${pos - 1}]` };
    return;
  }
  for await (const p of records(PROJECTS_FILE, 'projects')) {
    const where = `${base(PROJECTS_FILE)} projects[${pos}]`;
    yield { entity: 'projects', pos: pos++, rec: p, where };
    if (!isRecord(p)) continue;
    for (const field of ['tasks', 'milestones']) {
      const list = p[field];
      if (Array.isArray(list)) {
        for (let i = 0; i < list.length; i++) yield { entity: field, pos: i, rec: list[i], parent: p, where: `${where}.${field}[${i}]` };
      } else if (isMap(list)) {
        let i = 0;
        for (const [k, rec] of Object.entries(list))
          yield { entity: field, pos: i++, rec, parent: p, mapKey: k, where: `${where}.${field}[${JSON.stringify(k)}]` };
      }
    }
  }
}

/** Every record of the store, file after file. */
export async function* walk() {
  yield* walkFile('users');
  yield* walkFile('projects');
}

export const COLUMNS = Object.fromEntries(
  Object.entries(ENTITIES).map(([e, spec]) => [e, [...Object.values(spec.fields).map((f) => f.column), ...(spec.parent ? [spec.parent] : []), 'legacy']]),
);

// Users, projects and tasks are staged in two parts by the first digit of their uuid, each
// upserted on its own connection, so the server's two cores share each table's inserts (200k
// users: 13.1 → 12.4 s for the whole migration): the same uuid always lands in the same part,
// so each part's duplicate check still sees every copy of an id.
const PARTS = { users: 2, projects: 2, tasks: 2 };
export const partOf = (entity, uuid) => ((PARTS[entity] ?? 1) > 1 ? (parseInt(uuid[0], 16) < 8 ? 0 : 1) : 0);
/** How many parts an entity is staged in. */
export const partsOf = (entity) => PARTS[entity] ?? 1;
/** partOf in SQL: the rows of a table whose uuid falls in the part (a uuid's text is lower-case hex). */
export const inPartSql = (entity, part, column = 'id') =>
  partsOf(entity) > 1 ? `(left(${column}::text, 1) ${part === 0 ? '<' : '>='} '8')` : 'true';

const SPECIAL = /[\\\t\n\r]/;
const ESCAPES = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
/**
 * The columns whose text never holds a backslash, tab or newline (uuids, times, dates, numbers,
 * booleans, as conversions.js writes them): their COPY text is their value, not searched.
 */
const PLAIN = new Set(['id', 'ref', 'timestamp', 'date', 'int', 'bool']);
const COPY_COLUMNS = Object.fromEntries(
  Object.entries(ENTITIES).map(([e, spec]) => {
    const byColumn = Object.fromEntries(Object.values(spec.fields).map((f) => [f.column, f.type]));
    return [e, COLUMNS[e].map((c) => ({ c, plain: c === spec.parent || PLAIN.has(byColumn[c]) }))];
  }),
);
const plainText = (v) => (v === null || v === undefined ? '\\N' : typeof v === 'boolean' ? (v ? 't' : 'f') : String(v));

/** COPY's text form: \N for NULL; backslash, tab, newline and carriage return escaped */
export function copyText(v) {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  const t = typeof v === 'string' ? v : String(v);
  return SPECIAL.test(t) ? t.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]) : t;
}

function toRowId(p) {
  try {
    return convertField('projects', 'id', p.id);
  } catch {
    return null;
  }
}

/** the columns PostgreSQL keeps unique, besides the id, by entity: decided by --on-duplicate */
const UNIQUE = Object.fromEntries(
  Object.entries(ENTITIES).map(([e, spec]) => [e, Object.entries(spec.fields).filter(([, f]) => f.unique).map(([f, { column }]) => [f, column])]),
);

/**
 * Checks one file. `sink.stage(entity, part, text)` takes rows in COPY form; `sink.reject(x,
 * field, value, reason)` a record that is not migrated; `sink.defaulted(x, fields)` a record a
 * column default was filled for ({ field: { written, filled } }); `sink.progress()` is told
 * every record. `opts.defaults`: 'fill' or 'reject'. Returns this file's part of the plan.
 */
export async function preflight(which, sink, opts = {}) {
  const plan = { entities: {}, malformed: [], unconvertible: [], withoutColumn: {}, fromMap: [], unique: [], defaultsFilled: {} };
  const ent = (e) => (plan.entities[e] ??= { records: 0, malformed: 0, unconvertible: 0 });
  const numbers = {};
  /** projects not migrated, by where: their tasks and milestones are not either */
  const rejectedParents = new Set();
  /** each unique column's values seen: value → where (a second record with it makes a conflict) */
  const uniques = Object.fromEntries(
    Object.entries(UNIQUE).map(([e, list]) => [e, list.map(([f, column]) => ({ f, column, seen: new Map() }))]),
  );
  const conflicts = new Map();
  const stage = (x, row, old, skip = false) => {
    const part = partOf(x.entity, row.id);
    const key = `${x.entity}#${part}`;
    const n = (numbers[key] = (numbers[key] ?? 0) + 1);
    const parentWhere = x.parent ? x.where.slice(0, x.where.lastIndexOf('.')) : null;
    const rawId = x.rec.id ?? x.mapKey ?? null;
    let line = `${n}\t${copyText(x.where)}\t${copyText(parentWhere)}\t${copyText(JSON.stringify(rawId))}\t${skip ? 't' : 'f'}\t${copyText(old)}`;
    for (const { c, plain } of COPY_COLUMNS[x.entity])
      line += `\t${plain ? plainText(row[c]) : copyText(c === 'legacy' ? JSON.stringify(row.legacy) : row[c])}`;
    return sink.stage(x.entity, part, `${line}\n`);
  };
  let lastParent;
  let parentId;
  for await (const x of walkFile(which)) {
    sink.progress();
    const s = ent(x.entity);
    s.records++;
    if (!isRecord(x.rec)) {
      s.malformed++;
      plan.malformed.push({ entity: x.entity, where: x.where, reason: `${x.rec === null ? 'null' : Array.isArray(x.rec) ? 'a list' : typeof x.rec}, not a record` });
      sink.reject(x, null, x.rec, 'not a record');
      continue;
    }
    for (const field of x.entity === 'projects' ? ['tasks', 'milestones'] : []) {
      const v = x.rec[field];
      if (isMap(v)) plan.fromMap.push({ entity: field, where: `${x.where}.${field}`, records: Object.keys(v).length });
      else if (v !== undefined && v !== null && !Array.isArray(v))
        plan.malformed.push({ entity: x.entity, where: `${x.where}.${field}`, reason: `${field} is ${typeof v}, not a list: kept as written, its items are not migrated` });
    }
    let row;
    // a project's children come one after the other: its uuid is made once for them all
    if (x.parent && x.parent !== lastParent) [lastParent, parentId] = [x.parent, toRowId(x.parent)];
    const parent = x.parent ? parentId : undefined;
    try {
      row = toRow(x.entity, x.rec, x.pos, { parent: parent ?? undefined, defaults: opts.defaults, mapKey: x.mapKey });
    } catch (e) {
      if (!(e instanceof Rejected)) throw e;
      s.unconvertible++;
      plan.unconvertible.push({ entity: x.entity, id: x.rec.id ?? x.mapKey ?? null, where: x.where, field: e.field, value: e.value, reason: e.message });
      sink.reject(x, e.field, e.value, e.message);
      if (x.entity === 'projects') rejectedParents.add(x.where);
      continue;
    }
    if (x.mapKey !== undefined) s.fromMap = (s.fromMap ?? 0) + 1;
    for (const f of Object.keys(row.legacy.fields ?? {})) {
      const w = (plan.withoutColumn[x.entity] ??= {});
      w[f] = (w[f] ?? 0) + 1;
    }
    if (row.legacy.filled) {
      const fields = {};
      for (const f of row.legacy.filled) {
        fields[f] = { written: f in x.rec ? x.rec[f] : '(missing)', filled: row[ENTITIES[x.entity].fields[f].column] };
        const d = (plan.defaultsFilled[x.entity] ??= {});
        d[f] = (d[f] ?? 0) + 1;
      }
      sink.defaulted?.(x, fields);
    }
    let skip = false;
    if (x.parent) {
      row.project_id = parent;
      if (rejectedParents.has(x.where.slice(0, x.where.lastIndexOf('.')))) {
        sink.reject(x, null, null, 'its project was not migrated');
        // still staged: the duplicate check sees every record that converts, as it always did
        skip = true;
      }
    }
    const unique = uniques[x.entity];
    for (let i = 0; !skip && i < unique.length; i++) {
      const { f, column, seen: at } = unique[i];
      const v = row[column];
      const first = at.get(v);
      // only the first one's place is kept (a number for each of 200k emails): a conflict is rare
      if (first === undefined) at.set(v, x.pos);
      else {
        const k = `${x.entity}\0${f}\0${v}`;
        const where = `${x.where.slice(0, x.where.lastIndexOf('['))}[${first}]`;
        if (!conflicts.has(k)) conflicts.set(k, { entity: x.entity, field: f, value: v, records: [{ where }] });
        conflicts.get(k).records.push({ where: x.where });
      }
    }
    // a nested legacy id as the migration once mapped it (without its parent): such rows are moved to the new id
    const raw = x.rec.id;
    // (an id that is a uuid is itself, lower-cased: a comparison, no pattern, for each of 500k tasks)
    const scoped = x.parent && ENTITIES[x.entity].keyScope === 'parent' && raw !== undefined && raw !== null && raw !== '';
    const old = scoped && raw !== row.id && String(raw).toLowerCase() !== row.id ? toUuid(raw) : null;
    const wait = stage(x, row, old, skip);
    if (wait) await wait;
  }
  plan.unique = [...conflicts.values()];
  return plan;
}
