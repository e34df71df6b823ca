// The demo app's scripts against a test database: its .env in a workspace, the environment to
// run them with, and its schema applied (what the migration and validation tests share).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { expect } from 'vitest';
import { parse } from 'yaml';
import type { Entity } from '../../src/runbook/schema.js';
import { harness } from './checks.js';
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

/** The runbook's own data-validation check on the workspace's JSON, as `waymark check data-validation` runs it. */
export async function runbookValidation(url: string, ws: string, namespace: string) {
  const rb = parse(readFileSync('runbook.yaml', 'utf8')) as {
    data: Record<string, Entity & { file?: string }>;
    checks: Record<string, { params: Record<string, unknown> }>;
  };
  const data = Object.fromEntries(
    Object.entries(rb.data).map(([k, e]) => [
      k,
      { ...e, key: e.key ?? 'id', ...(e.file ? { file: basename(e.file) } : {}) },
    ]),
  );
  const h = harness(url, data, ws);
  try {
    return await h.run('data.validate', { ...rb.checks['data-validation'].params, legacy_id_namespace: namespace });
  } finally {
    await h.close();
  }
}

/** A discrepancy file's lines, each as `entity kind key field json pg` (the check's and the script's alike). */
export function discrepancyLines(file: string): Set<string> {
  return new Set(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const d = JSON.parse(l) as Record<string, unknown>;
        return `${String(d.entity)} ${String(d.kind)} ${String(d.key)} ${String(d.field)} ${String(d.json)} ${String(d.pg)}`;
      }),
  );
}

/** The discrepancy file the demo's validate-data.js names in its output. */
export const scriptDiscrepancyFile = (stdout: string) => /📄 Every discrepancy: (\S+) \(\d+ lines/.exec(stdout)![1];
