// node database/migrate-json-to-postgres.js [--on-duplicate=fail|keep-first|keep-last]
// Copies users.json and projects.json (with their nested tasks and milestones) into
// PostgreSQL, and never loses a record silently:
//  1. a pre-flight pass over the JSON (streamed) finds duplicate ids (also ids equal after
//     the legacy-id mapping, and "777" next to 777), malformed entries, fields without a
//     column and values that do not convert; it prints the plan and writes it whole to
//     migration-plan.json. Duplicates stop it before anything is written, unless a
//     resolution is chosen (--on-duplicate=keep-first or keep-last).
//  2. the copy: every value converts exactly (conversions.js) or its record is rejected;
//     one bad record never stops the others; every rejected record goes to
//     migration-rejected.jsonl with its entity, id, field, value and reason.
// Idempotent: rows are upserted only where they differ, so a second run writes nothing.
import { createWriteStream, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createPool, USERS_FILE, PROJECTS_FILE, RUN_DIR } from './config.js';
import { records } from './json-stream.js';
import { ENTITIES, Rejected, toRow } from './conversions.js';

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const ON_DUPLICATE = arg('on-duplicate', 'fail');
if (!['fail', 'keep-first', 'keep-last'].includes(ON_DUPLICATE)) {
  console.error(`--on-duplicate must be fail, keep-first or keep-last, not "${ON_DUPLICATE}"`);
  process.exit(2);
}
const REPORT_DIR = arg('report-dir', RUN_DIR);
mkdirSync(REPORT_DIR, { recursive: true });
const BATCH = 1000;
const line = '='.repeat(60);
const FILES = { users: USERS_FILE, projects: PROJECTS_FILE };
const base = (f) => f.split('/').pop();

/** Every record of the store, with where it stands: entity, position, parent. Malformed ones too. */
async function* walk() {
  let pos = 0;
  for await (const u of records(USERS_FILE, 'users')) yield { entity: 'users', pos: pos++, rec: u, where: `${base(USERS_FILE)} users[${pos - 1}]` };
  pos = 0;
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

const isRecord = (r) => r !== null && typeof r === 'object' && !Array.isArray(r);

// ---- 1. pre-flight ----
console.log('🚀 Starting JSON to PostgreSQL Migration');
console.log(line);
console.log('\n🔎 Pre-flight check of the JSON files...');
const plan = { entities: {}, duplicates: [], malformed: [], unconvertible: [], withoutColumn: {} };
const ent = (e) => (plan.entities[e] ??= { records: 0, malformed: 0, unconvertible: 0 });
// ids go through an external sort (Waymark's, as data.validate uses it): memory stays bounded at any size
const { SortedRuns } = await import(new URL('../../../dist/checks/sorted-runs.js', import.meta.url));
const seen = new SortedRuns(100_000); // "entity uuid" → where, sorted on disk in runs of 100k
const { progressEvery } = await import(new URL('../../../dist/checks/progress.js', import.meta.url));
// a migration of minutes says how far it is every few seconds
let tell = progressEvery((t) => console.log(`  … ${t}`));
let done = 0;
for await (const x of walk()) {
  tell(++done, (n, rate) => `${n} records checked (${rate}/s)`);
  const s = ent(x.entity);
  s.records++;
  if (!isRecord(x.rec)) {
    s.malformed++;
    plan.malformed.push({ entity: x.entity, where: x.where, reason: `${x.rec === null ? 'null' : Array.isArray(x.rec) ? 'a list' : typeof x.rec}, not a record` });
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
    continue;
  }
  for (const f of Object.keys(row.legacy.fields ?? {})) {
    const w = (plan.withoutColumn[x.entity] ??= {});
    w[f] = (w[f] ?? 0) + 1;
  }
  await seen.add(`${x.entity} ${row.id}`, JSON.stringify({ id: x.rec.id, where: x.where, n: seen.count }));
}
{
  // equal keys are neighbours once sorted; within a key, file order is kept by n
  let group = [];
  const close = () => {
    if (group.length > 1) {
      const [entity, uuid] = group[0].key.split(' ');
      plan.duplicates.push({ entity, uuid, records: group.map((g) => g.at).sort((a, b) => a.n - b.n).map(({ id, where }) => ({ id, where })) });
    }
  };
  for await (const [key, value] of seen.sorted()) {
    if (group.length && group[0].key !== key) {
      close();
      group = [];
    }
    group.push({ key, at: JSON.parse(value) });
  }
  close();
  seen.dispose();
}
// which record of a duplicated id is kept (keep-first / keep-last), by where it stands
const keep = new Map(plan.duplicates.map((d) => [`${d.entity} ${d.uuid}`, (ON_DUPLICATE === 'keep-last' ? d.records.at(-1) : d.records[0]).where]));

for (const [e, s] of Object.entries(plan.entities)) {
  const dups = plan.duplicates.filter((d) => d.entity === e);
  const cols = Object.entries(plan.withoutColumn[e] ?? {}).map(([f, n]) => `${f} (${n})`).join(', ');
  console.log(`  ${e}: ${s.records} records, ${dups.length} duplicate ids, ${s.malformed} malformed, ${s.unconvertible} with values that do not convert${cols ? `; fields without a column, kept for rollback: ${cols}` : ''}`);
}
const planFile = join(REPORT_DIR, 'migration-plan.json');
writeFileSync(`${planFile}.tmp`, JSON.stringify({ onDuplicate: ON_DUPLICATE, ...plan }, null, 2) + '\n');
renameSync(`${planFile}.tmp`, planFile);
console.log(`  the whole plan: ${planFile}`);
if (plan.duplicates.length && ON_DUPLICATE === 'fail') {
  for (const d of plan.duplicates.slice(0, 10)) console.log(`  ❌ duplicate ${d.entity} id: ${d.records.map((r) => `${JSON.stringify(r.id)} at ${r.where}`).join(', ')}`);
  console.log(`\n❌ ${plan.duplicates.length} duplicate id(s): nothing was written. Fix them in the JSON, or choose which record to keep`);
  console.log('   with --on-duplicate=keep-first or --on-duplicate=keep-last (the records not kept are reported as rejected).');
  process.exit(1);
}

// ---- 2. the copy ----
const pool = createPool({ max: 2, connectionTimeoutMillis: 5000 });
const stats = {};
const stat = (e) => (stats[e] ??= { total: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 });
const rejectedFile = join(REPORT_DIR, 'migration-rejected.jsonl');
const rejectedOut = createWriteStream(`${rejectedFile}.tmp`);
let rejectedCount = 0;
const rejectedParents = new Set();

function rejectRecord(x, field, value, reason) {
  stat(x.entity).rejected++;
  rejectedCount++;
  const id = isRecord(x.rec) ? x.rec.id ?? null : null;
  rejectedOut.write(JSON.stringify({ entity: x.entity, id, where: x.where, field, value: value === undefined ? null : value, reason, record: x.rec }) + '\n');
  if (rejectedCount <= 20) console.log(`❌ Rejected ${x.entity} ${JSON.stringify(id)} (${x.where}): ${field ? `${field} ${JSON.stringify(value)}: ` : ''}${reason}`);
}

async function upsert(entity, rows) {
  const spec = ENTITIES[entity];
  const cols = [...Object.values(spec.fields).map((f) => f.column), ...(spec.parent ? [spec.parent] : []), 'legacy'];
  const values = [];
  const tuples = rows.map((r, i) => `(${cols.map((_, j) => `$${i * cols.length + j + 1}`).join(',')})`);
  for (const r of rows) for (const c of cols) values.push(c === 'legacy' ? JSON.stringify(r.legacy) : r[c]);
  const set = cols.filter((c) => c !== 'id');
  // only rows that differ are written: a re-run changes nothing, and the counts say what was written
  const sql =
    `INSERT INTO ${spec.table} AS t (${cols.join(',')}) VALUES ${tuples.join(',')} ` +
    `ON CONFLICT (id) DO UPDATE SET ${set.map((c) => `${c} = EXCLUDED.${c}`).join(', ')} ` +
    `WHERE (${set.map((c) => `t.${c}`).join(',')}) IS DISTINCT FROM (${set.map((c) => `EXCLUDED.${c}`).join(',')}) ` +
    'RETURNING (xmax = 0) AS inserted';
  const r = await pool.query(sql, values);
  const inserted = r.rows.filter((x) => x.inserted).length;
  return { inserted, updated: r.rows.length - inserted, unchanged: rows.length - r.rows.length };
}

async function load(entity, items) {
  if (!items.length) return;
  const s = stat(entity);
  const add = (c) => {
    s.inserted += c.inserted;
    s.updated += c.updated;
    s.unchanged += c.unchanged;
  };
  try {
    add(await upsert(entity, items.map((x) => x.row)));
  } catch {
    // one bad row (a foreign key, a unique email) must not stop the others: find it alone
    for (const x of items) {
      try {
        add(await upsert(entity, [x.row]));
      } catch (e) {
        rejectRecord(x, e.column ?? null, null, `PostgreSQL refused it: ${e.message}`);
        if (entity === 'projects') rejectedParents.add(x.row.id);
      }
    }
  }
}

/** Loads rows in chunks of BATCH. */
async function loadAll(entity, items) {
  for (let i = 0; i < items.length; i += BATCH) await load(entity, items.slice(i, i + BATCH));
}

try {
  const buf = { users: [], projects: [], tasks: [], milestones: [] };
  // projects go in before their tasks and milestones; a child of a project PostgreSQL refused is rejected with it
  const flushProjects = async () => {
    await loadAll('projects', buf.projects);
    for (const e of ['tasks', 'milestones']) {
      const ok = buf[e].filter((x) => !rejectedParents.has(x.row.project_id) || (rejectRecord(x, null, null, 'its project was not migrated'), false));
      await loadAll(e, ok);
    }
    buf.projects = [];
    buf.tasks = [];
    buf.milestones = [];
  };
  let printed;
  tell = progressEvery((t) => console.log(`  … ${t}`));
  done = 0;
  const total = Object.values(plan.entities).reduce((n, e) => n + e.records, 0).toLocaleString('en-US');
  for await (const x of walk()) {
    tell(++done, (n, rate) => `${n} of ${total} records migrated (${rate}/s)`);
    if (x.entity === 'users' && !printed) console.log((printed = '\n📋 Migrating Users...'));
    if (x.entity === 'projects' && printed !== '\n📋 Migrating Projects...') {
      await loadAll('users', buf.users);
      buf.users = [];
      console.log((printed = '\n📋 Migrating Projects...'));
    }
    if (x.entity === 'projects' && buf.projects.length >= BATCH) await flushProjects();
    stat(x.entity).total++;
    if (!isRecord(x.rec)) {
      rejectRecord(x, null, x.rec, 'not a record');
      continue;
    }
    let row;
    try {
      row = toRow(x.entity, x.rec, x.pos);
    } catch (e) {
      if (!(e instanceof Rejected)) throw e;
      rejectRecord(x, e.field, e.value, e.message);
      if (x.entity === 'projects') rejectedParents.add(`at ${x.where}`);
      continue;
    }
    const kept = keep.get(`${x.entity} ${row.id}`);
    if (kept && kept !== x.where) {
      rejectRecord(x, 'id', x.rec.id, `duplicate id: the record at ${kept} was kept (--on-duplicate=${ON_DUPLICATE})`);
      if (x.entity === 'projects') rejectedParents.add(`at ${x.where}`);
      continue;
    }
    if (x.parent) {
      const parentWhere = x.where.slice(0, x.where.lastIndexOf('.'));
      if (rejectedParents.has(`at ${parentWhere}`)) {
        rejectRecord(x, null, null, 'its project was not migrated');
        continue;
      }
      row.project_id = toRowId(x.parent);
    }
    buf[x.entity].push({ ...x, row });
    if (x.entity === 'users' && buf.users.length >= BATCH) {
      await loadAll('users', buf.users);
      buf.users = [];
    }
  }
  await loadAll('users', buf.users);
  await flushProjects();
} catch (e) {
  console.error(`\n❌ Migration stopped: ${e.message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
  await new Promise((r) => rejectedOut.end(r));
  renameSync(`${rejectedFile}.tmp`, rejectedFile);
}

function toRowId(p) {
  try {
    return ENTITIES.projects.fields.id.conv(p.id);
  } catch {
    return null;
  }
}

console.log('\n' + line);
console.log('📊 Migration Statistics');
console.log(line);
for (const [name, s] of Object.entries(stats)) {
  const written = s.inserted + s.updated;
  console.log(`\n${name.toUpperCase()}:`);
  console.log(`  Total: ${s.total}`);
  console.log(`  Migrated: ${written + s.unchanged} (${s.total ? ((100 * (written + s.unchanged)) / s.total).toFixed(1) : '100.0'}%)`);
  console.log(`  Errors: ${s.rejected}`);
  console.log(`  Written by this run: ${s.inserted} inserted, ${s.updated} updated (${s.unchanged} already up to date)`);
}
if (rejectedCount || process.exitCode) {
  console.log(`\n❌ Migration finished with ${rejectedCount} rejected record(s), each in ${rejectedFile}`);
  console.log('  Fix the data and re-run: the migration is idempotent.');
  process.exitCode = 1;
} else {
  console.log('\n✅ Migration completed successfully!');
}
