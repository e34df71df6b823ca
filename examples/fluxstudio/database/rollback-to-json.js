// node database/rollback-to-json.js --force — exports PostgreSQL back to the JSON
// files. The current files are backed up first; each new file is written to a temp
// file, fsynced and renamed over the old one, so a crash leaves old or new, never half.
import { createWriteStream, copyFileSync, existsSync, mkdirSync, renameSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import Cursor from 'pg-cursor';
import { createPool, USERS_FILE, PROJECTS_FILE, DATA_DIR } from './config.js';

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

const iso = (d) => (d ? new Date(d).toISOString() : null);
try {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const users = await writeArray(USERS_FILE, 'users', (async function* () {
    for await (const u of rows('SELECT id, email, name, role, password_hash, created_at FROM users ORDER BY id'))
      yield { id: u.id, email: u.email, name: u.name, role: u.role, passwordHash: u.password_hash, createdAt: iso(u.created_at) };
  })());
  console.log(`✅ Exported ${users.n} users`);
  // Projects with their tasks and milestones nested, in one consistent snapshot.
  const projects = await writeArray(PROJECTS_FILE, 'projects', (async function* () {
    const sql = `SELECT p.id, p.name, p.description, p.status, p.owner_id, p.created_at,
        coalesce((SELECT json_agg(json_build_object('id', t.id, 'title', t.title, 'status', t.status, 'priority', t.priority, 'dueDate', t.due_date::text) ORDER BY t.id) FROM tasks t WHERE t.project_id = p.id), '[]') AS tasks,
        coalesce((SELECT json_agg(json_build_object('id', m.id, 'title', m.title, 'completed', m.completed, 'dueDate', m.due_date::text) ORDER BY m.id) FROM milestones m WHERE m.project_id = p.id), '[]') AS milestones
      FROM projects p ORDER BY p.id`;
    for await (const p of rows(sql, 500))
      yield { id: p.id, name: p.name, description: p.description, status: p.status, ownerId: p.owner_id, createdAt: iso(p.created_at), tasks: p.tasks, milestones: p.milestones };
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
