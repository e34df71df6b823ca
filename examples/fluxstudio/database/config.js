// Configuration shared by the app and the database scripts: the env file, the
// JSON file locations and the PostgreSQL pool.
import { config as loadEnv } from 'dotenv';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import pg from 'pg';

export const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ENV_FILE = process.env.ENV_FILE || join(APP_DIR, '.env');
// The env file is the app's configuration: its migration flags win over inherited variables.
loadEnv({ path: ENV_FILE, override: true, quiet: true });

export const DATA_DIR = process.env.DATA_DIR || dirname(ENV_FILE);
export const RUN_DIR = dirname(ENV_FILE);
export const USERS_FILE = join(DATA_DIR, 'users.json');
export const PROJECTS_FILE = join(DATA_DIR, 'projects.json');
export const flag = (name) => String(process.env[name] ?? '').toLowerCase() === 'true';

export function poolConfig(overrides = {}) {
  return {
    host: process.env.DB_HOST || 'localhost',
    port: Number(process.env.DB_PORT || 5432),
    database: process.env.DB_NAME || 'fluxstudio_db',
    user: process.env.DB_USER || 'postgres',
    password: process.env.DB_PASSWORD || undefined,
    max: 20,
    idleTimeoutMillis: 30000,
    connectionTimeoutMillis: 2000,
    application_name: 'fluxstudio',
    ...overrides,
  };
}

export function createPool(overrides) {
  const pool = new pg.Pool(poolConfig(overrides));
  pool.on('error', (e) => console.error(`PostgreSQL pool error: ${e.message}`));
  return pool;
}

// Legacy records have non-UUID ids; they map to a deterministic UUID (v5), so the
// migration can be re-run and every reference (ownerId, projectId) maps the same way.
// A nested record's legacy id (a task's "1") is unique only within its parent: it is mapped
// with the parent's uuid as namespace, so task "1" of two projects is two tasks.
export const LEGACY_ID_NAMESPACE = process.env.LEGACY_ID_NAMESPACE || '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function toUuid(id, scope = LEGACY_ID_NAMESPACE) {
  if (id === null || id === undefined || id === '') return null;
  const s = String(id);
  if (UUID.test(s)) return s.toLowerCase();
  const ns = Buffer.from(scope.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(Buffer.concat([ns, Buffer.from(s, 'utf8')])).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
