// node database/migrate-json-to-postgres.js — copies users.json and projects.json
// (with their nested tasks and milestones) into PostgreSQL.
// Idempotent: every row is an upsert by id, so it can be re-run after fixing data.
// Legacy non-UUID ids map to deterministic UUIDs (v5); parents go in before children;
// rows go in batches of multi-row INSERTs, and a failing batch is retried row by row
// so one bad record does not stop the others.
import { createPool, toUuid, USERS_FILE, PROJECTS_FILE } from './config.js';
import { records, batches } from './json-stream.js';

const BATCH = 1000;
const SHOW = 20; // per-record lines shown before summarising
const pool = createPool({ max: 2, connectionTimeoutMillis: 5000 });
const stats = {};
const errors = [];

const line = '='.repeat(60);
console.log('🚀 Starting JSON to PostgreSQL Migration');
console.log(line);

function stat(name) {
  return (stats[name] ??= { total: 0, migrated: 0, errors: 0, shown: 0 });
}

async function upsert(table, columns, rows, conflictUpdate) {
  const values = [];
  const tuples = rows.map((r, i) => `(${columns.map((_, j) => `$${i * columns.length + j + 1}`).join(',')})`);
  for (const r of rows) values.push(...r);
  const updates = conflictUpdate.map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  await pool.query(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${tuples.join(',')} ON CONFLICT (id) DO UPDATE SET ${updates}`, values);
}

async function load(entity, table, columns, updates, items, label) {
  const s = stat(entity);
  s.total += items.length;
  try {
    await upsert(table, columns, items.map((x) => x.row), updates);
    s.migrated += items.length;
    for (const x of items) if (s.shown++ < SHOW) console.log(`${label}${x.name}`);
  } catch {
    // find the bad rows one by one
    for (const x of items) {
      try {
        await upsert(table, columns, [x.row], updates);
        s.migrated++;
        if (s.shown++ < SHOW) console.log(`${label}${x.name}`);
      } catch (e) {
        s.errors++;
        if (errors.length < 50) errors.push(`${entity} ${x.key}: ${e.message}`);
        console.log(`❌ Failed ${entity.slice(0, -1)}: ${x.name} — ${e.message}`);
      }
    }
  }
}

try {
  console.log('\n📋 Migrating Users...');
  for await (const batch of batches(records(USERS_FILE, 'users'), BATCH)) {
    await load('users', 'users', ['id', 'email', 'name', 'role', 'password_hash', 'created_at'], ['email', 'name', 'role', 'password_hash', 'created_at'],
      batch.map((u) => ({ key: u.id, name: u.email, row: [toUuid(u.id), u.email, u.name, u.role ?? 'user', u.passwordHash ?? null, u.createdAt ?? new Date().toISOString()] })), '✅ Migrated user: ');
  }
  if (stat('users').total > SHOW) console.log(`   … ${stat('users').migrated} users in all`);

  console.log('\n📋 Migrating Projects...');
  for await (const batch of batches(records(PROJECTS_FILE, 'projects'), BATCH)) {
    await load('projects', 'projects', ['id', 'name', 'description', 'status', 'owner_id', 'created_at'], ['name', 'description', 'status', 'owner_id', 'created_at'],
      batch.map((p) => ({ key: p.id, name: p.name, row: [toUuid(p.id), p.name, p.description ?? null, p.status ?? 'active', toUuid(p.ownerId), p.createdAt ?? new Date().toISOString()] })), '✅ Migrated project: ');
    const tasks = batch.flatMap((p) => (p.tasks ?? []).map((t) => ({ key: t.id, name: t.title, row: [toUuid(t.id), toUuid(p.id), t.title, t.status ?? 'todo', Number(t.priority ?? 3), t.dueDate ?? null] })));
    for (let i = 0; i < tasks.length; i += BATCH)
      await load('tasks', 'tasks', ['id', 'project_id', 'title', 'status', 'priority', 'due_date'], ['project_id', 'title', 'status', 'priority', 'due_date'], tasks.slice(i, i + BATCH), '  ✅ Migrated task: ');
    const ms = batch.flatMap((p) => (p.milestones ?? []).map((m) => ({ key: m.id, name: m.title, row: [toUuid(m.id), toUuid(p.id), m.title, !!m.completed, m.dueDate ?? null] })));
    for (let i = 0; i < ms.length; i += BATCH)
      await load('milestones', 'milestones', ['id', 'project_id', 'title', 'completed', 'due_date'], ['project_id', 'title', 'completed', 'due_date'], ms.slice(i, i + BATCH), '  ✅ Migrated milestone: ');
  }
  if (stat('projects').total > SHOW) console.log(`   … ${stat('projects').migrated} projects, ${stat('tasks').migrated} tasks, ${stat('milestones').migrated} milestones in all`);
} catch (e) {
  console.error(`\n❌ Migration stopped: ${e.message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}

console.log('\n' + line);
console.log('📊 Migration Statistics');
console.log(line);
for (const [name, s] of Object.entries(stats)) {
  console.log(`\n${name.toUpperCase()}:`);
  console.log(`  Total: ${s.total}`);
  console.log(`  Migrated: ${s.migrated} (${s.total ? ((100 * s.migrated) / s.total).toFixed(1) : '100.0'}%)`);
  console.log(`  Errors: ${s.errors}`);
}
const failed = Object.values(stats).reduce((n, s) => n + s.errors, 0);
if (failed || process.exitCode) {
  console.log(`\n❌ Migration finished with ${failed} error(s):`);
  for (const e of errors) console.log(`  - ${e}`);
  console.log('  Fix the data (UUIDs, foreign keys, …) and re-run: the migration is idempotent.');
  process.exitCode = 1;
} else {
  console.log('\n✅ Migration completed successfully!');
}
