#!/usr/bin/env node
// "systemctl status postgresql" for the demo: is the embedded server up?
import { parseArgs, client } from './pg-args.js';

const o = parseArgs(process.argv.slice(2));
process.env.PGPASSWORD ??= process.env.DB_PASSWORD;
const c = client({ ...o, host: o.host ?? process.env.DB_HOST, port: o.port ?? process.env.DB_PORT, user: o.user ?? process.env.DB_USER }, 'postgres');
try {
  await c.connect();
  const r = await c.query(`SELECT version() AS v, pg_postmaster_start_time() AS since, current_setting('data_directory') AS dir`);
  console.log(`● postgresql (embedded) - active (running) since ${r.rows[0].since.toISOString()}`);
  console.log(`  ${r.rows[0].v}`);
  console.log(`  data directory: ${r.rows[0].dir}`);
  await c.end();
} catch (e) {
  console.log(`● postgresql (embedded) - inactive (${e.message})`);
  process.exit(3);
}
