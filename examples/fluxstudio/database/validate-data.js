// node database/validate-data.js — compares JSON and PostgreSQL record by record.
// The JSON store is read as the migration reads it (staging.js: the same conversions, the same
// rows, staged in temporary tables), and each staged row is compared in PostgreSQL with the
// table's row of its id, column by column, as typed values (as the migration's upsert compares
// them). What the table holds and the JSON not is extra, but for rows written after the read
// began: the app keeps serving while this runs. Every discrepancy goes to one file.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Cursor from 'pg-cursor';
import { createPool, poolConfig, RUN_DIR, DATA_DIR, USERS_FILE, PROJECTS_FILE } from './config.js';
import { ENTITIES } from './conversions.js';
import { COLUMNS, partsOf, inPartSql } from './preflight.js';
import { stageStore } from './staging.js';
import { comparisons } from './validation-spec.js';
import { progressEvery } from './progress.js';

/** a write that began just before the read may commit just after it: such rows are new, not extra */
const IN_FLIGHT_MS = 2000;
const FILE = join(RUN_DIR, 'validation-discrepancies.jsonl');
const line = '='.repeat(60);
const COUNTED = { missing: 'missing', differs: 'mismatched', extra: 'extra', duplicate: 'duplicate', 'not-migrated': 'notMigrated' };

/** The discrepancy file, written aside and renamed when whole; its lines counted and hashed. */
function discrepancyFile(file) {
  const tmp = `${file}.tmp-${process.pid}`;
  const stream = createWriteStream(tmp);
  const hash = createHash('sha256');
  let lines = 0;
  return {
    write(d) {
      const text = `${JSON.stringify(d)}\n`;
      hash.update(text);
      lines++;
      return stream.write(text);
    },
    async close() {
      await new Promise((resolve, reject) => stream.end((e) => (e ? reject(e) : resolve())));
      renameSync(tmp, file);
      return { file, lines, sha256: hash.digest('hex') };
    },
    discard() {
      stream.destroy();
      rmSync(tmp, { force: true });
    },
  };
}

const stats = {};
const stat = (e) =>
  (stats[e] ??= { json: 0, pg: 0, matched: 0, missing: 0, extra: 0, mismatched: 0, mismatchedRows: 0, duplicate: 0, notKept: 0, notMigrated: 0, filled: 0, newSince: 0, changedSince: 0 });
const examples = {};
let out;
/** One discrepancy: in the file, in its entity's counts, and among the first examples of its kind. */
function report(d) {
  out.write(d);
  stat(d.entity)[COUNTED[d.kind]]++;
  const list = (examples[d.kind] ??= []);
  if (list.length < 5) list.push(d);
}

/** Each row of a query, a batch at a time (a table of millions is never held whole). */
async function each(client, sql, params, fn) {
  const cursor = client.query(new Cursor(sql, params));
  for (;;) {
    const rows = await cursor.read(2000);
    if (!rows.length) break;
    for (const r of rows) fn(r);
  }
  await cursor.close();
}

const FIELD = Object.fromEntries(
  Object.entries(ENTITIES).map(([e, spec]) => [
    e,
    { ...Object.fromEntries(Object.entries(spec.fields).map(([f, s]) => [s.column, f])), ...(spec.parent ? { [spec.parent]: '(project)' } : {}) },
  ]),
);
/** The compared columns (the legacy column is what the rollback needs, not data of the app) and their two tuples. */
function shape(entity) {
  const cols = COLUMNS[entity].filter((c) => c !== 'id' && c !== 'legacy');
  return { cols, s: cols.map((c) => `s.${c}`).join(', '), t: cols.map((c) => `t.${c}`).join(', ') };
}

/** The staged rows of one part against the table: equal, missing, different, or one of a duplicated id. */
async function compareStaged(entity, client, dupIds, readStart) {
  const table = ENTITIES[entity].table;
  const { cols, s, t } = shape(entity);
  const st = stat(entity);
  await client.query('ANALYZE stage');
  const judged = `NOT s.__skip AND NOT s.id = ANY($1::uuid[])`;
  const m = await client.query(
    `SELECT count(*)::int AS matched, count(*) FILTER (WHERE s.legacy ? 'filled')::int AS filled FROM stage s ` +
      `JOIN ${table} t ON t.id = s.id WHERE ${judged} AND (${s}) IS NOT DISTINCT FROM (${t})`,
    [dupIds],
  );
  st.matched += m.rows[0].matched;
  st.filled += m.rows[0].filled;
  await each(client, `SELECT s.__where, s.id::text AS key FROM stage s WHERE ${judged} AND NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.id = s.id) ORDER BY s.__n`, [dupIds], (r) =>
    report({ entity, kind: 'missing', key: r.key, where: r.__where, field: '(row)', json: 'present', pg: 'missing' }),
  );
  // a row the app changed after the JSON was read is not judged by the JSON read before
  const changed = 'updated_at' in FIELD[entity] ? 'coalesce(t.updated_at > $2::timestamptz, false)' : '$2::timestamptz IS NULL';
  const pairs = cols.map((c, i) => `s.${c}::text AS s${i}, t.${c}::text AS t${i}`).join(', ');
  await each(
    client,
    `SELECT s.__where, s.id::text AS key, ${changed} AS changed, ${pairs} FROM stage s JOIN ${table} t ON t.id = s.id ` +
      `WHERE ${judged} AND (${s}) IS DISTINCT FROM (${t}) ORDER BY s.__n`,
    [dupIds, readStart],
    (r) => {
      if (r.changed) return void st.changedSince++;
      st.mismatchedRows++;
      cols.forEach((c, i) => {
        if (r[`s${i}`] !== r[`t${i}`])
          report({ entity, kind: 'differs', key: r.key, where: r.__where, field: FIELD[entity][c], json: r[`s${i}`], pg: r[`t${i}`] });
      });
    },
  );
  if (dupIds.length) await compareDuplicates(entity, client, dupIds);
}

/**
 * A duplicated id: the copy equal to the table's row is the one kept (the operator chose which,
 * --on-duplicate); the others are counted as not kept, not discrepancies. With no copy equal to
 * the row, or no row, each copy but the first is a discrepancy.
 */
async function compareDuplicates(entity, client, dupIds) {
  const { s, t } = shape(entity);
  const r = await client.query(
    `SELECT s.__where, s.id::text AS key, t.id IS NULL AS absent, (${s}) IS NOT DISTINCT FROM (${t}) AS same ` +
      `FROM stage s LEFT JOIN ${ENTITIES[entity].table} t ON t.id = s.id WHERE NOT s.__skip AND s.id = ANY($1::uuid[]) ORDER BY s.__n`,
    [dupIds],
  );
  const byKey = new Map();
  for (const x of r.rows) byKey.set(x.key, [...(byKey.get(x.key) ?? []), x]);
  for (const [key, copies] of byKey) {
    const kept = copies.find((c) => c.same && !c.absent);
    if (kept) {
      stat(entity).matched++;
      stat(entity).notKept += copies.length - 1;
      continue;
    }
    for (const c of copies.slice(1)) {
      const pg = copies[0].absent ? 'missing' : 'equal to none of the copies';
      report({ entity, kind: 'duplicate', key, where: c.__where, field: 'id', json: `one of ${copies.length} records with this id`, pg });
    }
  }
}

/** Rows of one part of the table that no JSON record staged: extra, or new since the read began. */
async function compareExtra(entity, part, client, staged, readStart) {
  const { table, parent } = ENTITIES[entity];
  const isNew = parent ? `coalesce(t.created_at > $1 OR p.created_at > $1, false)` : 'coalesce(t.created_at > $1, false)';
  const from = parent ? `${table} t LEFT JOIN projects p ON p.id = t.${parent}` : `${table} t`;
  const notStaged = staged ? 'AND NOT EXISTS (SELECT 1 FROM stage s WHERE s.id = t.id)' : '';
  await each(client, `SELECT t.id::text AS key, ${isNew} AS new FROM ${from} WHERE ${inPartSql(entity, part, 't.id')} ${notStaged}`, [readStart], (r) => {
    if (r.new) stat(entity).newSince++;
    else report({ entity, kind: 'extra', key: r.key, where: null, field: '(row)', json: 'missing', pg: 'present' });
  });
}

/** Every entity's staged parts compared at once, each on its own connection; the parts no record went to too. */
async function compareAll(pool, stage, plan, readStart) {
  const jobs = [];
  for (const entity of Object.keys(ENTITIES)) {
    const dupIds = plan.duplicates.filter((d) => d.entity === entity).map((d) => d.uuid);
    for (let part = 0; part < partsOf(entity); part++) {
      const s = stage[`${entity}#${part}`];
      if (s) jobs.push(compareStaged(entity, s.client, dupIds, readStart).then(() => compareExtra(entity, part, s.client, true, readStart)));
      else jobs.push(pool.connect().then((c) => compareExtra(entity, part, c, false, readStart).finally(() => c.release())));
    }
    jobs.push(pool.query(`SELECT count(*)::int AS n FROM ${ENTITIES[entity].table}`).then((r) => (stat(entity).pg = r.rows[0].n)));
  }
  await Promise.all(jobs);
  for (const [entity, s] of Object.entries(plan.entities)) stat(entity).json = s.records;
}

/** What went wrong, in a sentence: the server or the files, never a bare error code. */
function reason(e) {
  const { host, port } = poolConfig();
  if (e.code === 'ECONNREFUSED') return `PostgreSQL at ${host}:${port} refused the connection: is it running?`;
  if (/timeout/i.test(e.message)) return `PostgreSQL at ${host}:${port} did not answer within 5 s`;
  if (e.code === 'ENOENT') return `${e.path ?? 'a JSON file'} was removed while it was read: run the validation again`;
  if (e.code === '42P01') return `${e.message}: has the schema been applied (database/schema.sql and migrations/)?`;
  return e.message;
}

async function validate() {
  const readStart = new Date(Date.now() - IN_FLIGHT_MS).toISOString();
  // times are shown in UTC, as the JSON writes them, whatever the server's TimeZone
  const pool = createPool({ max: 9, connectionTimeoutMillis: 5000, options: '-c TimeZone=UTC' });
  const tell = progressEvery((t) => console.log(`  … ${t}`));
  let read = 0;
  let stage = {};
  try {
    const staged = await stageStore(pool, {
      reject: (x, field, value, why) =>
        report({ entity: x.entity, kind: 'not-migrated', key: x.rec?.id ?? x.mapKey ?? null, where: x.where, field: field ?? '(record)', json: value ?? null, pg: 'missing', reason: why }),
      progress: () => tell(++read, (n, rate) => `${n} records read (${rate}/s)`),
    });
    stage = staged.stage;
    await compareAll(pool, stage, staged.plan, readStart);
  } finally {
    for (const s of Object.values(stage)) s.client.release(true);
    await pool.end();
  }
}

const label = (n) => n.charAt(0).toUpperCase() + n.slice(1);
/** of the records that could be judged: not those changed since the read, nor the copies not kept */
const accuracy = (s) => {
  const judged = s.json - s.changedSince - s.notKept;
  return judged > 0 ? (100 * s.matched) / judged : 100;
};
function printEntity(name, s) {
  console.log(`\n🔍 Validating ${label(name)}...`);
  console.log(`  JSON ${name}: ${s.json}`);
  console.log(`  PostgreSQL ${name}: ${s.pg}`);
  console.log(`  Matched: ${s.matched}`);
  console.log(`  Missing: ${s.missing}`);
  const more = [
    ['Extra in PostgreSQL', s.extra],
    ['Mismatched', s.mismatchedRows],
    ['Duplicate in JSON', s.duplicate],
    ['Not kept (a copy of a duplicated id; PostgreSQL holds another copy exactly)', s.notKept],
    ["Not migratable (the migration's conversions reject it)", s.notMigrated],
    ['Default filled by the migration (declared, not a discrepancy)', s.filled],
    ['New since the JSON was read (not a discrepancy)', s.newSince],
    ['Changed since the JSON was read (not compared)', s.changedSince],
  ];
  for (const [what, n] of more) if (n) console.log(`  ${what}: ${n}`);
}

function printReport(file) {
  console.log('\n' + line);
  console.log('📊 Data Validation Report');
  console.log(line);
  console.log(`\n${file.lines === 0 ? '✅' : '❌'} Total Discrepancies Found: ${file.lines}`);
  if (file.lines) {
    console.log('\n🔎 DISCREPANCIES (first examples of each kind):');
    for (const list of Object.values(examples))
      for (const d of list) console.log(`  ${d.entity} ${d.key} ${d.kind} ${d.field}: JSON=${d.json} PostgreSQL=${d.pg}${d.reason ? ` (${d.reason})` : ''}`);
  }
  console.log(`\n📄 Every discrepancy: ${file.file} (${file.lines} lines, sha256 ${file.sha256})`);
  const legacy = comparisons.map((c) => `${c.name}.legacy`).join(', ');
  console.log(`\n🙈 Not compared: ${legacy}: ${comparisons[0].not_compared.legacy}`);
  console.log('\n📋 STATISTICS:');
  for (const [name, s] of Object.entries(stats)) {
    console.log(`\n${name.toUpperCase()}:`);
    console.log(`  JSON Count: ${s.json}`);
    console.log(`  PostgreSQL Count: ${s.pg}`);
    console.log(`  Matched: ${s.matched}`);
    console.log(`  Missing: ${s.missing}`);
    console.log(`  Accuracy: ${accuracy(s).toFixed(1)}%`);
  }
  console.log('\n💡 RECOMMENDATIONS:');
  if (file.lines === 0) {
    console.log('  ✅ Data is consistent! Safe to proceed with migration.');
    console.log('  ✅ You can set USE_POSTGRES=true');
  } else {
    console.log('  ❌ Review the discrepancies above and fix the data.');
    console.log('  🔁 Re-run migration: node database/migrate-json-to-postgres.js');
    console.log('  🔁 Re-validate: node database/validate-data.js');
    process.exitCode = 1;
  }
}

console.log('🚀 Starting Data Validation');
console.log(line);
// the app reads a missing file as no records; both missing is a store that is elsewhere
const absent = [USERS_FILE, PROJECTS_FILE].filter((f) => !existsSync(f));
if (absent.length === 2) {
  console.error(`\n❌ Validation could not run: there is no JSON store in ${DATA_DIR} (no users.json, no projects.json): is DATA_DIR right?`);
  process.exit(1);
}
for (const f of absent) console.log(`ℹ️  ${f} does not exist: read as holding no records`);
for (const name of Object.keys(ENTITIES)) stat(name);
out = discrepancyFile(FILE);
try {
  await validate();
} catch (e) {
  out.discard();
  console.error(`\n❌ Validation could not run: ${reason(e)}`);
  process.exit(1);
}
for (const [name, s] of Object.entries(stats)) printEntity(name, s);
printReport(await out.close());
