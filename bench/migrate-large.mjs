// Generates N users (default 1,000,000) with their projects, tasks and milestones,
// migrates them into a fresh database, validates them, and prints times and peak
// memory per stage. Usage: node bench/migrate-large.mjs [users] [DATABASE_URL]
// Without a URL it starts an embedded PostgreSQL in a temp folder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, chmodSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freshDatabases } from './lib.mjs';

const users = Number(process.argv[2] ?? 1_000_000);
const url = process.argv[3];
const dir = mkdtempSync(join(tmpdir(), 'waymark-large-'));
chmodSync(dir, 0o755);
const { server, dbUrl } = await freshDatabases(dir, ['waymark_large'], url);
const u = new URL(dbUrl('waymark_large'));
const ws = join(dir, 'ws');
const app = resolve('examples/fluxstudio');
writeFileSync(join(dir, '.env'), `DB_HOST=${u.hostname}\nDB_PORT=${u.port}\nDB_NAME=waymark_large\nDB_USER=${decodeURIComponent(u.username)}\nDB_PASSWORD=${decodeURIComponent(u.password)}\nDATA_DIR=${ws}\n`);
const env = { ...process.env, ENV_FILE: join(dir, '.env'), DATA_DIR: ws, PGPASSWORD: decodeURIComponent(u.password) };

function stage(name, args) {
  const t0 = Date.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { cwd: app, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const peak = Number(r.stderr.trim().split('\n').pop()) / 1024;
  const tail = r.stdout.trim().split('\n').slice(-3).join(' | ');
  console.log(`${name.padEnd(10)} ${((Date.now() - t0) / 1000).toFixed(1).padStart(7)} s   peak RSS ${peak.toFixed(0).padStart(5)} MB   exit ${r.status}   ${tail.slice(0, 120)}`);
  if (r.status !== 0) process.exitCode = 1;
}

stage('generate', ['generate-data.js', '--users', String(users), '--out', ws]);
console.log(`           users.json ${(statSync(join(ws, 'users.json')).size / 1e6).toFixed(0)} MB, projects.json ${(statSync(join(ws, 'projects.json')).size / 1e6).toFixed(0)} MB`);
const psql = ['tools/psql.js', '-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), '-d', 'waymark_large', '-v', 'ON_ERROR_STOP=1'];
stage('schema', [...psql, '-f', 'database/schema.sql']);
stage('schema 006', [...psql, '-f', 'database/migrations/006_add_tasks_and_activities.sql']);
stage('migrate', ['database/migrate-json-to-postgres.js']);
stage('validate', ['database/validate-data.js']);
await server?.stop();
