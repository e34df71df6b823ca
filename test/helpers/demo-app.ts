// The demo app's scripts against a test database: its .env in a workspace, the environment to
// run them with, and its schema applied (what the migration and validation tests share).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { psqlFileArgs } from './pg.js';

export const APP = resolve('examples/fluxstudio');

export function demoApp(
  db: { url: string; name: string },
  ws: string,
  extra: { lines?: string[]; env?: NodeJS.ProcessEnv } = {},
) {
  const u = new URL(db.url);
  const vars = [
    `DB_HOST=${u.hostname}`,
    `DB_PORT=${u.port}`,
    `DB_NAME=${db.name}`,
    `DB_USER=${decodeURIComponent(u.username)}`,
    `DB_PASSWORD=${decodeURIComponent(u.password)}`,
  ];
  writeFileSync(join(ws, '.env'), [...vars, ...(extra.lines ?? []), ''].join('\n'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ENV_FILE: join(ws, '.env'),
    PGPASSWORD: decodeURIComponent(u.password),
    ...extra.env,
  };
  const run = (script: string, args: string[] = []) =>
    spawnSync(process.execPath, [join(APP, script), ...args], { cwd: APP, env, encoding: 'utf8', timeout: 120_000 });
  /** schema.sql and migration 006, as the runbook applies them */
  const applySchema = () => {
    for (const f of ['database/schema.sql', 'database/migrations/006_add_tasks_and_activities.sql'])
      expect(run('tools/psql.js', psqlFileArgs(u, db.name, f)).status).toBe(0);
  };
  return { env, run, applySchema };
}
