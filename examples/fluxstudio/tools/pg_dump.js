#!/usr/bin/env node
// pg_dump for the demo: a data-only SQL dump of every table in public, on stdout.
import Cursor from 'pg-cursor';
import { parseArgs, client, fail } from './pg-args.js';

const o = parseArgs(process.argv.slice(2));
const c = client(o, o.rest[0] ?? o.database);
try {
  await c.connect();
} catch (e) {
  fail(`pg_dump: error: connection to server failed: ${e.message}`, 1);
}
const lit = (v) => (v === null ? 'NULL' : v instanceof Date ? `'${v.toISOString()}'` : typeof v === 'number' || typeof v === 'boolean' ? String(v) : `'${(typeof v === 'object' ? JSON.stringify(v) : String(v)).replace(/'/g, "''")}'`);
const write = (s) => (process.stdout.write(s) ? null : new Promise((r) => process.stdout.once('drain', r)));
await write(`-- Data-only dump of ${c.database} taken ${new Date().toISOString()} (Waymark demo pg_dump)\nBEGIN;\n`);
await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
const tables = await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
for (const { tablename } of tables.rows) {
  await write(`\n-- ${tablename}\n`);
  const cur = c.query(new Cursor(`SELECT * FROM "${tablename}"`));
  for (;;) {
    const rows = await cur.read(1000);
    if (!rows.length) break;
    for (const r of rows) await write(`INSERT INTO "${tablename}" (${Object.keys(r).map((k) => `"${k}"`).join(', ')}) VALUES (${Object.values(r).map(lit).join(', ')});\n`);
  }
  await cur.close();
}
await c.query('COMMIT');
await write('COMMIT;\n');
await c.end();
