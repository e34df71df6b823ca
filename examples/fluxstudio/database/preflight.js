// The migration's pre-flight of one JSON file: every record converted (or rejected with its
// reason), counted into the plan, and its row written out in COPY form for the staging table.
// users.json and projects.json are checked at once, one of them in a worker thread
// (preflight-worker.js): the two cores share the parsing.
import { USERS_FILE, PROJECTS_FILE } from './config.js';
import { records } from './json-stream.js';
import { ENTITIES, Rejected, toRow } from './conversions.js';

const base = (f) => f.split('/').pop();
export const isRecord = (r) => r !== null && typeof r === 'object' && !Array.isArray(r);

/** The records of one file, with where each stands: entity, position, parent. Malformed ones too. */
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
      if (list === undefined || !Array.isArray(list)) continue;
      for (let i = 0; i < list.length; i++) yield { entity: field, pos: i, rec: list[i], parent: p, where: `${where}.${field}[${i}]` };
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

const SPECIAL = /[\\\t\n\r]/;
const ESCAPES = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
/** COPY's text form: \N for NULL; backslash, tab, newline and carriage return escaped */
export function copyText(v) {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  const t = typeof v === 'string' ? v : String(v);
  return SPECIAL.test(t) ? t.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]) : t;
}

function toRowId(p) {
  try {
    return ENTITIES.projects.fields.id.conv(p.id);
  } catch {
    return null;
  }
}

/**
 * Checks one file. `sink.stage(entity, part, n, line)` takes a row in COPY form (n: its number
 * within its part); `sink.reject(x, field, value, reason)` a record that is not migrated;
 * `sink.progress(n)` is told every record. Returns this file's part of the plan.
 */
export async function preflight(which, sink) {
  const plan = { entities: {}, malformed: [], unconvertible: [], withoutColumn: {} };
  const ent = (e) => (plan.entities[e] ??= { records: 0, malformed: 0, unconvertible: 0 });
  const numbers = {};
  /** projects not migrated, by where: their tasks and milestones are not either */
  const rejectedParents = new Set();
  const stage = (x, row, skip = false) => {
    const part = partOf(x.entity, row.id);
    const key = `${x.entity}#${part}`;
    const n = (numbers[key] = (numbers[key] ?? 0) + 1);
    const parentWhere = x.parent ? x.where.slice(0, x.where.lastIndexOf('.')) : null;
    let line = `${n}\t${copyText(x.where)}\t${copyText(parentWhere)}\t${copyText(JSON.stringify(x.rec.id ?? null))}\t${skip ? 't' : 'f'}`;
    for (const c of COLUMNS[x.entity]) line += `\t${copyText(c === 'legacy' ? JSON.stringify(row.legacy) : row[c])}`;
    return sink.stage(x.entity, part, `${line}\n`);
  };
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
    for (const field of x.entity === 'projects' ? ['tasks', 'milestones'] : [])
      if (x.rec[field] !== undefined && !Array.isArray(x.rec[field]))
        plan.malformed.push({ entity: x.entity, where: `${x.where}.${field}`, reason: `${field} is ${x.rec[field] === null ? 'null' : typeof x.rec[field]}, not a list: kept as written, its items are not migrated` });
    let row;
    try {
      row = toRow(x.entity, x.rec, x.pos);
    } catch (e) {
      if (!(e instanceof Rejected)) throw e;
      s.unconvertible++;
      plan.unconvertible.push({ entity: x.entity, id: x.rec.id ?? null, where: x.where, field: e.field, value: e.value, reason: e.message });
      sink.reject(x, e.field, e.value, e.message);
      if (x.entity === 'projects') rejectedParents.add(x.where);
      continue;
    }
    for (const f of Object.keys(row.legacy.fields ?? {})) {
      const w = (plan.withoutColumn[x.entity] ??= {});
      w[f] = (w[f] ?? 0) + 1;
    }
    let skip = false;
    if (x.parent) {
      row.project_id = toRowId(x.parent);
      if (rejectedParents.has(x.where.slice(0, x.where.lastIndexOf('.')))) {
        sink.reject(x, null, null, 'its project was not migrated');
        // still staged: the duplicate check sees every record that converts, as it always did
        skip = true;
      }
    }
    const wait = stage(x, row, skip);
    if (wait) await wait;
  }
  return plan;
}
