import { inject } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export function serverUrl(): string {
  return inject('databaseUrl');
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** A fresh database on the test server; every test file gets its own. */
export async function createTestDatabase(prefix = 'wm'): Promise<{
  url: string;
  name: string;
  query: (sql: string, args?: unknown[]) => Promise<pg.QueryResult>;
  close: () => Promise<void>;
}> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(serverUrl(), name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return { url, name, query: (sql, args) => client.query(sql, args as unknown[]), close: () => client.end() };
}

/** The demo's psql tool's arguments to run a SQL file against a test database, stopping at the first error. */
export function psqlFileArgs(u: URL, database: string, file: string): string[] {
  return [
    '-U',
    decodeURIComponent(u.username),
    '-h',
    u.hostname,
    '-p',
    u.port,
    '-d',
    database,
    '-v',
    'ON_ERROR_STOP=1',
    '-f',
    file,
  ];
}
