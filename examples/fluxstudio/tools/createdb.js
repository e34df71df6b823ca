#!/usr/bin/env node
// createdb for the demo: exit 1 when the database already exists, like createdb.
import { parseArgs, client, fail } from './pg-args.js';

const o = parseArgs(process.argv.slice(2));
const name = o.rest[0] ?? o.database;
if (!name) fail('createdb: error: no database name given', 1);
const c = client(o, 'postgres');
try {
  await c.connect();
  const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount) fail(`createdb: error: database creation failed: ERROR:  database "${name}" already exists`, 1);
  await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  console.log(`created database ${name}`);
} catch (e) {
  fail(`createdb: error: ${e.message}`, 1);
} finally {
  await c.end().catch(() => {});
}
