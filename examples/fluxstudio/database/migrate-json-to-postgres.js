// node database/migrate-json-to-postgres.js [--on-duplicate=fail|keep-first|keep-last] [--defaults=fill|reject]
// Copies users.json and projects.json (with their nested tasks and milestones) into
// PostgreSQL, and never loses a record silently:
//  1. a pre-flight pass over the JSON (streamed) finds duplicate ids (also ids equal after
//     the legacy-id mapping, and "777" next to 777), malformed entries, fields without a
//     column and values that do not convert; it prints the plan and writes it whole to
//     migration-plan.json. Duplicates stop it before anything is written, unless a
//     resolution is chosen (--on-duplicate=keep-first or keep-last). A value a unique column
//     (email) holds twice is decided the same way, by the records' places in the file.
//  2. the copy: every value converts exactly (conversions.js) or its record is rejected;
//     one bad record never stops the others; every rejected record goes to
//     migration-rejected.jsonl with its entity, id, field, value and reason. A missing value
//     whose column has a constant default gets it (--defaults=fill, the default, as the app
//     does) and each such record goes to migration-defaults.jsonl; --defaults=reject rejects it.
// Idempotent: rows are upserted only where they differ, so a second run writes nothing.
//
// One parse: the pre-flight converts every record and stages its row on disk in COPY form;
// the copy streams each entity's rows into a temporary table (COPY, the fast way in) and
// upserts them with one INSERT … SELECT … ON CONFLICT per range of rows. A range PostgreSQL
// refuses (a foreign key, a unique email) is halved until the refused rows stand alone:
// each is reported, the others are written, never one statement per row for a whole batch.
import { createWriteStream, renameSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createPool, RUN_DIR } from './config.js';
import { ENTITIES } from './conversions.js';
import { walk, isRecord, COLUMNS } from './preflight.js';
import { stageStore } from './staging.js';
import { progressEvery } from './progress.js';

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const ON_DUPLICATE = arg('on-duplicate', 'fail');
if (!['fail', 'keep-first', 'keep-last'].includes(ON_DUPLICATE)) {
  console.error(`--on-duplicate must be fail, keep-first or keep-last, not "${ON_DUPLICATE}"`);
  process.exit(2);
}
const DEFAULTS = arg('defaults', 'fill');
if (!['fill', 'reject'].includes(DEFAULTS)) {
  console.error(`--defaults must be fill or reject, not "${DEFAULTS}"`);
  process.exit(2);
}
const REPORT_DIR = arg('report-dir', RUN_DIR);
mkdirSync(REPORT_DIR, { recursive: true });
/** rows one INSERT … SELECT upserts: a few seconds of work, so progress moves */
const RANGE = 100_000;
const line = '='.repeat(60);
// ---- 1. pre-flight ----
console.log('🚀 Starting JSON to PostgreSQL Migration');
console.log(line);
console.log(
  DEFAULTS === 'fill'
    ? `A missing value whose column has a default gets it, and is listed (--defaults=fill)`
    : `A missing value whose column has a default rejects its record (--defaults=reject)`,
);
console.log('\n🔎 Pre-flight check of the JSON files...');
// a migration of minutes says how far it is every few seconds
let tell = progressEvery((t) => console.log(`  … ${t}`));
let done = 0;

let stats = {};
const stat = (e) => (stats[e] ??= { total: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, notKept: 0, defaulted: 0, rekeyed: 0 });
const rejectedFile = join(REPORT_DIR, 'migration-rejected.jsonl');
const rejectedOut = createWriteStream(`${rejectedFile}.tmp`);
let rejectedCount = 0;
/** records not migrated because the operator chose which copy of a duplicated id to keep: not errors */
let notKeptCount = 0;
/** rejections whose record is looked up again at the end: where → { entity, field, value, reason } */
const later = new Map();

const defaultsFile = join(REPORT_DIR, 'migration-defaults.jsonl');
const defaultsOut = createWriteStream(`${defaultsFile}.tmp`);
let defaultedCount = 0;
/** A record a column default was filled for: counted, said (the first 10), and written with its record. */
function defaulted(x, fields) {
  stat(x.entity).defaulted++;
  const what = Object.entries(fields).map(([f, v]) => `${f} ${v.written === '(missing)' ? 'missing' : JSON.stringify(v.written)} → ${JSON.stringify(v.filled)}`);
  if (++defaultedCount <= 10) console.log(`ℹ️  Default filled ${x.entity} ${JSON.stringify(x.rec.id ?? x.mapKey ?? null)} (${x.where}): ${what.join(', ')}`);
  defaultsOut.write(JSON.stringify({ entity: x.entity, id: x.rec.id ?? x.mapKey ?? null, where: x.where, fields, record: x.rec }) + '\n');
}

/** A record that is not migrated: counted, said (the first 20), and written with its record. */
function rejectRecord(x, field, value, reason, decided = false) {
  if (decided) return notKept(x, field, value, reason);
  stat(x.entity).rejected++;
  rejectedCount++;
  const id = isRecord(x.rec) ? x.rec.id ?? x.mapKey ?? null : x.id ?? null;
  if (rejectedCount <= 20) console.log(`❌ Rejected ${x.entity} ${JSON.stringify(id)} (${x.where}): ${field ? `${field} ${JSON.stringify(value)}: ` : ''}${reason}`);
  const entry = { entity: x.entity, id, where: x.where, field, value: value === undefined ? null : value, reason };
  if ('rec' in x) rejectedOut.write(JSON.stringify({ ...entry, record: x.rec }) + '\n');
  else later.set(x.where, entry);
}

/** A copy of a duplicated id (or of a unique value) the operator chose not to keep: said, listed, not an error. */
function notKept(x, field, value, reason) {
  stat(x.entity).notKept++;
  notKeptCount++;
  const id = isRecord(x.rec) ? x.rec.id ?? x.mapKey ?? null : x.id ?? null;
  if (notKeptCount <= 20) console.log(`↷ Not kept ${x.entity} ${JSON.stringify(id)} (${x.where}): ${reason}`);
  const entry = { entity: x.entity, id, where: x.where, field, value: value === undefined ? null : value, reason, decided: `--on-duplicate=${ON_DUPLICATE}` };
  if ('rec' in x) rejectedOut.write(JSON.stringify({ ...entry, record: x.rec }) + '\n');
  else later.set(x.where, entry);
}

// Every row the copy may write goes into a temporary table of its entity while the files are
// read (COPY, on the server's core while this one parses): nothing touches the real tables
// before the pre-flight has seen every record (staging.js). The parts of a table, and tasks and
// milestones, are then upserted at once: 7 connections.
const pool = createPool({ max: 8, connectionTimeoutMillis: 5000 });
/** projects not migrated, by where: their tasks and milestones are not either */
const rejectedParents = new Set();
const checked = () => tell(++done, (n, rate) => `${n} records checked (${rate}/s)`);
const { stage, parts, plan } = await stageStore(
  pool,
  {
    reject: (x, field, value, reason) => {
      rejectRecord(x, field, value, reason);
      if (x.entity === 'projects') rejectedParents.add(x.where);
    },
    defaulted,
    progress: checked,
  },
  { defaults: DEFAULTS },
);
// the statistics in the files' order, each entity's total from the plan
const byEntity = stats;
stats = {};
for (const [e, s] of Object.entries(plan.entities))
  stats[e] = { inserted: 0, updated: 0, unchanged: 0, rejected: 0, notKept: 0, defaulted: 0, rekeyed: 0, ...byEntity[e], total: s.records };
// which record of a duplicated id is kept (keep-first / keep-last), by where it stands: where → why not
const dropped = new Map();
const keptOf = (records) => (ON_DUPLICATE === 'keep-last' ? records.at(-1) : records[0]).where;
for (const d of plan.duplicates) {
  const kept = keptOf(d.records);
  for (const r of d.records)
    if (r.where !== kept) dropped.set(r.where, { field: 'id', value: r.id, reason: `duplicate id: the record at ${kept} was kept (--on-duplicate=${ON_DUPLICATE})` });
}
// a value a unique column holds twice (an email), among the records still kept: decided the same way
for (const p of parts)
  for (const c of p.unique) {
    const records = c.records.filter((r) => !dropped.has(r.where));
    if (records.length < 2) continue;
    plan.unique.push({ ...c, records });
    if (ON_DUPLICATE === 'fail') continue;
    const kept = keptOf(records);
    const at = kept.slice(kept.indexOf(' ') + 1);
    for (const r of records)
      if (r.where !== kept)
        dropped.set(r.where, { field: c.field, value: c.value, reason: `${c.field} also used by the record at ${at}, which was kept (--on-duplicate=${ON_DUPLICATE})` });
  }

for (const [e, s] of Object.entries(plan.entities)) {
  const dups = plan.duplicates.filter((d) => d.entity === e);
  const cols = Object.entries(plan.withoutColumn[e] ?? {}).map(([f, n]) => `${f} (${n})`).join(', ');
  const uniq = plan.unique.filter((d) => d.entity === e);
  const filled = Object.entries(plan.defaultsFilled[e] ?? {}).map(([f, n]) => `${f} (${n})`).join(', ');
  const maps = s.fromMap ?? 0;
  console.log(
    `  ${e}: ${s.records} records, ${dups.length} duplicate ids${uniq.length ? `, ${uniq.length} ${uniq[0].field} values used twice` : ''}, ` +
      `${s.malformed} malformed, ${s.unconvertible} with values that do not convert` +
      `${filled ? `; default filled: ${filled}` : ''}${maps ? `; ${maps} converted from a map` : ''}` +
      `${cols ? `; fields without a column, kept for rollback: ${cols}` : ''}`,
  );
}
const planFile = join(REPORT_DIR, 'migration-plan.json');
writeFileSync(`${planFile}.tmp`, JSON.stringify({ onDuplicate: ON_DUPLICATE, defaults: DEFAULTS, ...plan }, null, 2) + '\n');
renameSync(`${planFile}.tmp`, planFile);
console.log(`  the whole plan: ${planFile}`);
if ((plan.duplicates.length || plan.unique.length) && ON_DUPLICATE === 'fail') {
  for (const d of plan.duplicates.slice(0, 10)) console.log(`  ❌ duplicate ${d.entity} id: ${d.records.map((r) => `${JSON.stringify(r.id)} at ${r.where}`).join(', ')}`);
  for (const d of plan.unique.slice(0, 10)) console.log(`  ❌ ${d.entity} ${d.field} ${JSON.stringify(d.value)} used twice: at ${d.records.map((r) => r.where).join(', ')}`);
  const what = [plan.duplicates.length && `${plan.duplicates.length} duplicate id(s)`, plan.unique.length && `${plan.unique.length} value(s) a unique column holds twice`];
  console.log(`\n❌ ${what.filter(Boolean).join(' and ')}: nothing was written. Fix them in the JSON, or choose which record to keep`);
  console.log('   with --on-duplicate=keep-first or --on-duplicate=keep-last (the records not kept are listed, with why).');
  rejectedOut.destroy();
  defaultsOut.destroy();
  rmSync(`${rejectedFile}.tmp`, { force: true });
  rmSync(`${defaultsFile}.tmp`, { force: true });
  for (const s of Object.values(stage)) s.client.release(true);
  await pool.end();
  process.exit(1);
}

// ---- 2. the copy ----
const total = Object.values(plan.entities).reduce((n, e) => n + e.records, 0).toLocaleString('en-US');
tell = progressEvery((t) => console.log(`  … ${t}`));
done = 0;

/** Rows staged and then not written: rejected with the reason, their records looked up at the end. */
async function drop(entity, column, wheres, reason) {
  const parts = Object.values(stage).filter((s) => s.entity === entity);
  if (!wheres.length || !parts.length) return [];
  const rows = [];
  for (const part of parts) rows.push(...(await dropIn(part, entity, column, wheres, reason)));
  return rows;
}
async function dropIn(part, entity, column, wheres, reason) {
  const r = await part.client.query(
    `DELETE FROM stage WHERE ${column} = ANY($1) AND NOT __skip RETURNING __where, __id`,
    [wheres],
  );
  for (const row of r.rows) {
    const id = JSON.parse(row.__id);
    const why = dropped.get(row.__where);
    const x = { entity, where: row.__where, id };
    if (column === '__where') rejectRecord(x, why.field, why.field === 'id' ? id : why.value, why.reason, true);
    else rejectRecord(x, null, null, reason);
    if (entity === 'projects') rejectedParents.add(row.__where);
  }
  return r.rows.map((row) => row.__where);
}

/**
 * Rows migrated before a nested legacy id was mapped within its parent (task "1" was one uuid for
 * every project) are moved to their id now, where the row is that record's (same parent) and
 * its new id is free: the upsert then finds them, and the rollback gives them back as written.
 */
async function rekey(entity) {
  for (const s of Object.values(stage).filter((x) => x.entity === entity)) {
    const r = await s.client.query(
      `UPDATE ${ENTITIES[entity].table} t SET id = s.id FROM stage s WHERE s.__old IS NOT NULL AND NOT s.__skip ` +
        `AND t.id = s.__old AND t.project_id = s.project_id AND NOT EXISTS (SELECT 1 FROM ${ENTITIES[entity].table} x WHERE x.id = s.id)`,
    );
    stat(entity).rekeyed += r.rowCount;
  }
}

/** Upserts an entity's staged rows, its parts at once. */
const load = (entity) => Promise.all(Object.values(stage).filter((s) => s.entity === entity).map((s) => loadPart(s)));

/** Upserts one staged part range by range. */
async function loadPart(s) {
  const { client, entity } = s;
  const spec = ENTITIES[entity];
  const cols = COLUMNS[entity];
  const st = stat(entity);
  const set = cols.filter((c) => c !== 'id');
  // only rows that differ are written: a re-run changes nothing, and the counts say what was written
  const upsert =
    `WITH src AS (SELECT ${cols.join(',')} FROM stage WHERE __n BETWEEN $1 AND $2 AND NOT __skip), ` +
    `w AS (INSERT INTO ${spec.table} AS t (${cols.join(',')}) SELECT * FROM src ` +
    `ON CONFLICT (id) DO UPDATE SET ${set.map((c) => `${c} = EXCLUDED.${c}`).join(', ')} ` +
    `WHERE (${set.map((c) => `t.${c}`).join(',')}) IS DISTINCT FROM (${set.map((c) => `EXCLUDED.${c}`).join(',')}) ` +
    'RETURNING (xmax = 0) AS inserted) ' +
    'SELECT (SELECT count(*) FROM src) AS staged, count(*) FILTER (WHERE inserted) AS inserted, count(*) AS written FROM w';
  // Into a table that was empty, a plain INSERT does the same a quarter faster. Should a row with
  // one of these ids arrive meanwhile (the live app writes both stores), its primary key refuses
  // the range, and from then on every range is upserted.
  const insert =
    `WITH src AS (SELECT ${cols.join(',')} FROM stage WHERE __n BETWEEN $1 AND $2 AND NOT __skip), ` +
    `w AS (INSERT INTO ${spec.table} (${cols.join(',')}) SELECT * FROM src RETURNING true) ` +
    'SELECT (SELECT count(*) FROM src) AS staged, count(*) AS inserted, count(*) AS written FROM w';
  const table = await client.query(
    `SELECT NOT EXISTS (SELECT 1 FROM ${spec.table}) AS empty, ` +
      `(SELECT conname FROM pg_constraint WHERE conrelid = '${spec.table}'::regclass AND contype = 'p') AS pkey`,
  );
  let plain = table.rows[0].empty === true;
  // a range PostgreSQL refuses is halved until each refused row stands alone
  async function range(a, b) {
    try {
      let r;
      try {
        r = (await client.query(plain ? insert : upsert, [a, b])).rows[0];
      } catch (e) {
        if (!plain || e.code !== '23505' || e.constraint !== table.rows[0].pkey) throw e;
        plain = false;
        r = (await client.query(upsert, [a, b])).rows[0];
      }
      st.inserted += Number(r.inserted);
      st.updated += Number(r.written) - Number(r.inserted);
      st.unchanged += Number(r.staged) - Number(r.written);
      tell((done += Number(r.staged)), (n, rate) => `${n} of ${total} records migrated (${rate}/s)`);
    } catch (e) {
      if (!/^[0-9A-Z]{5}$/.test(e.code ?? '')) throw e; // not PostgreSQL's refusal (a lost connection): stop
      if (a === b) {
        const at = (await client.query(`SELECT __where, __id FROM stage WHERE __n = $1`, [a])).rows[0];
        if (!at) return;
        rejectRecord({ entity, where: at.__where, id: JSON.parse(at.__id) }, e.column ?? null, null, `PostgreSQL refused it: ${e.message}`);
        if (entity === 'projects') rejectedParents.add(at.__where);
        return;
      }
      const mid = Math.floor((a + b) / 2);
      await range(a, mid);
      await range(mid + 1, b);
    }
  }
  const rows = Number((await client.query('SELECT coalesce(max(__n), 0) AS n FROM stage')).rows[0].n);
  for (let a = 1; a <= rows; a += RANGE) await range(a, Math.min(rows, a + RANGE - 1));
}

try {
  for (const e of new Set(Object.values(stage).map((s) => s.entity))) await drop(e, '__where', [...dropped.keys()]);
  // a project not kept takes its tasks and milestones with it
  for (const e of ['tasks', 'milestones']) await drop(e, '__parent', [...rejectedParents], 'its project was not migrated');
  console.log('\n📋 Migrating Users...');
  await load('users');
  console.log('\n📋 Migrating Projects...');
  await load('projects');
  // projects went in before their tasks and milestones; a child of a project PostgreSQL refused is rejected with it
  for (const e of ['tasks', 'milestones']) await drop(e, '__parent', [...rejectedParents], 'its project was not migrated');
  await Promise.all(['tasks', 'milestones'].map(rekey));
  await Promise.all(['tasks', 'milestones'].map(load));
  // the records of rejections decided during the copy, from the files as they are
  if (later.size)
    for await (const x of walk()) {
      const r = later.get(x.where);
      if (r && r.entity === x.entity) rejectedOut.write(JSON.stringify({ ...r, record: x.rec }) + '\n');
    }
} catch (e) {
  console.error(`\n❌ Migration stopped: ${e.message}`);
  process.exitCode = 1;
} finally {
  for (const s of Object.values(stage)) s.client.release(true);
  await pool.end();
  await new Promise((r) => rejectedOut.end(r));
  renameSync(`${rejectedFile}.tmp`, rejectedFile);
  await new Promise((r) => defaultsOut.end(r));
  renameSync(`${defaultsFile}.tmp`, defaultsFile);
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
  if (s.notKept) console.log(`  Not kept, as chosen (--on-duplicate=${ON_DUPLICATE}): ${s.notKept}`);
  if (s.defaulted) console.log(`  Default filled: ${s.defaulted} (each in ${defaultsFile})`);
  if (plan.entities[name]?.fromMap) console.log(`  Converted from a map: ${plan.entities[name].fromMap}`);
  if (s.rekeyed) console.log(`  Moved to the id mapped within their project (migrated before with the old mapping): ${s.rekeyed}`);
}
// what was filled or read differently, in the last lines (the ones a phase report keeps)
const by = (key) => Object.entries(stats).filter(([, s]) => s[key]).map(([e, s]) => `${e} ${s[key]}`).join(', ');
if (defaultedCount) console.log(`\nℹ️  Default filled: ${defaultedCount} record(s) (${by('defaulted')}), each listed in ${defaultsFile}`);
const fromMaps = Object.entries(plan.entities).filter(([, s]) => s.fromMap).map(([e, s]) => `${e} ${s.fromMap}`);
if (fromMaps.length) console.log(`ℹ️  Converted from a map: ${fromMaps.join(', ')}`);
if (notKeptCount)
  console.log(`\n↷ Not kept, as chosen with --on-duplicate=${ON_DUPLICATE}: ${notKeptCount} record(s) (${by('notKept')}), each in ${rejectedFile}`);
if (rejectedCount || process.exitCode) {
  console.log(`\n❌ Migration finished with ${rejectedCount} rejected record(s), each in ${rejectedFile}`);
  console.log('  Fix the data and re-run: the migration is idempotent.');
  process.exitCode = 1;
} else {
  console.log('\n✅ Migration completed successfully!');
}
