// node database/rollback-to-json.js --force — exports PostgreSQL back to the JSON
// files, each migrated record exactly as it was written (its legacy id, fields without
// a column, values as written, key order and position), apart from what the app has
// changed since; records created through the app come out in their canonical form. The current files are backed up first; each new file is written to a temp
// file, fsynced and renamed over the old one, so a crash leaves old or new, never half.
import { createWriteStream, copyFileSync, existsSync, mkdirSync, renameSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import Cursor from 'pg-cursor';
import { createPool, USERS_FILE, PROJECTS_FILE, DATA_DIR } from './config.js';
import { ENTITIES, toRecord } from './conversions.js';

if (!process.argv.includes('--force')) {
  console.error('This overwrites users.json and projects.json with the data in PostgreSQL.');
  console.error('Run again with --force to do it (the current files are backed up first).');
  process.exit(2);
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const backupDir = join(DATA_DIR, 'backups', `before-rollback-${stamp}`);
mkdirSync(backupDir, { recursive: true });
for (const f of [USERS_FILE, PROJECTS_FILE]) if (existsSync(f)) copyFileSync(f, join(backupDir, f.split('/').pop()));
console.log(`💾 Backed up the current JSON files to ${backupDir}`);

const pool = createPool({ max: 2, connectionTimeoutMillis: 5000 });
const client = await pool.connect();

async function* rows(sql, size = 2000) {
  const cursor = client.query(new Cursor(sql));
  for (;;) {
    const batch = await cursor.read(size);
    if (!batch.length) break;
    yield* batch;
  }
  await cursor.close();
}

async function writeArray(file, key, iter) {
  const tmp = `${file}.rollback-${process.pid}`;
  const out = createWriteStream(tmp);
  const write = (s) => (out.write(s) ? null : new Promise((r) => out.once('drain', r)));
  await write(`{\n  "${key}": [`);
  let n = 0;
  for await (const rec of iter) {
    await write(`${n++ ? ',' : ''}\n    ${JSON.stringify(rec)}`);
  }
  await write(`\n  ]\n}\n`);
  await new Promise((r) => out.end(r));
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  return { n, commit: () => renameSync(tmp, file) };
}

// Columns as the conversions table writes them: timestamps in UTC with six fractional digits,
// dates as YYYY-MM-DD, ids as text. conversions.js then gives each record back as it was written.
const TS = (c) => `to_char(${c}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const cols = (entity, alias = '') =>
  Object.values(ENTITIES[entity].fields)
    .map(({ column }) => {
      const c = `${alias}${column}`;
      if (/_at$/.test(column)) return `${TS(c)} AS ${column}`;
      if (column === 'due_date') return `${c}::text AS ${column}`;
      if (column === 'id' || column.endsWith('_id')) return `${c}::text AS ${column}`;
      return `${c} AS ${column}`;
    })
    .join(', ');
const ORDER = (a) => `(${a}legacy->>'pos')::int NULLS LAST, ${a}created_at, ${a}id`;
const child = (entity) =>
  `coalesce((SELECT json_agg(row_to_json(c) ORDER BY c.pos NULLS LAST, c.created_at, c.id) FROM (SELECT ${cols(entity)}, project_id::text AS project_id, legacy, (legacy->>'pos')::int AS pos FROM ${entity} WHERE project_id = p.id) c), '[]')`;
try {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await client.query("SET LOCAL TIME ZONE 'UTC'");
  const users = await writeArray(USERS_FILE, 'users', (async function* () {
    for await (const u of rows(`SELECT ${cols('users')}, legacy FROM users ORDER BY ${ORDER('')}`)) yield toRecord('users', u);
  })());
  console.log(`✅ Exported ${users.n} users`);
  // Projects with their tasks and milestones nested, in one consistent snapshot.
  const projects = await writeArray(PROJECTS_FILE, 'projects', (async function* () {
    const sql = `SELECT ${cols('projects', 'p.')}, p.legacy, ${child('tasks')} AS tasks, ${child('milestones')} AS milestones FROM projects p ORDER BY ${ORDER('p.')}`;
    for await (const p of rows(sql, 500)) {
      // each child given back as written, in a list or in the map the project had
      yield toRecord('projects', p, { tasks: p.tasks, milestones: p.milestones });
    }
  })());
  console.log(`✅ Exported ${projects.n} projects (with tasks and milestones)`);
  await client.query('COMMIT');
  // Both files are complete on disk before either replaces the current one.
  users.commit();
  projects.commit();
  console.log(`✅ Replaced ${USERS_FILE} and ${PROJECTS_FILE}`);
  console.log('✅ Rollback export complete. Next: set USE_POSTGRES=false, DUAL_WRITE_ENABLED=true and restart the app.');
} catch (e) {
  console.error(`❌ Rollback export failed: ${e.message} (the JSON files were not replaced)`);
  process.exitCode = 1;
} finally {
  client.release();
  await pool.end();
}
