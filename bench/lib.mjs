// What the benchmarks share: a PostgreSQL to measure against (DATABASE_URL, or an embedded one
// in `dir`), with the named databases created empty.
import pg from 'pg';
import { join } from 'node:path';

export async function freshDatabases(dir, names, url = process.env.DATABASE_URL) {
  let server;
  if (!url) {
    const { startEmbedded } = await import('../dist/pg/embedded.js');
    server = await startEmbedded({ dataDir: join(dir, 'pg') });
    url = server.url;
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  for (const db of names) {
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`CREATE DATABASE ${db}`);
  }
  await admin.end();
  const dbUrl = (name) => {
    const u = new URL(url);
    u.pathname = `/${name}`;
    return u.toString();
  };
  return { server, url, dbUrl };
}
