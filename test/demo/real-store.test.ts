// The seed's migration on what a real JSON store holds (test/fixtures/real-store.ts): nothing
// silent and nothing needlessly refused, each record's outcome as written beside it; and one set
// of conversion rules, so that migrate → rollback → validate finds no discrepancy.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { createTestDatabase } from '../helpers/pg.js';
import {
  demoApp,
  runbookValidation as runbookCheck,
  discrepancyLines,
  scriptDiscrepancyFile,
} from '../helpers/demo-app.js';
import { tempDir } from '../helpers/tmp.js';
import { realStore } from '../fixtures/real-store.js';
import { uuidv5 } from '../../src/checks/normalize.js';
// @ts-expect-error -- plain JS of the demo app
import { entities, comparisons } from '../../examples/fluxstudio/database/validation-spec.js';
// @ts-expect-error -- plain JS of the demo app
import { ENTITIES } from '../../examples/fluxstudio/database/conversions.js';

const NS = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let ws: string;
let app: ReturnType<typeof demoApp>;
const store = realStore();
const MIGRATE = 'database/migrate-json-to-postgres.js';

const lines = (file: string) =>
  readFileSync(join(ws, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const writeStore = (users: unknown[], projects: unknown[]) => {
  writeFileSync(join(ws, 'users.json'), JSON.stringify({ users }, null, 2));
  writeFileSync(join(ws, 'projects.json'), JSON.stringify({ projects }, null, 2));
};
const count = async (t: string) => Number((await db.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
const rejectedWheres = () => [...store.expected].filter(([, o]) => o.outcome === 'rejected').map(([w]) => w);

const runbookValidation = () => runbookCheck(db.url, ws, NS);

beforeAll(async () => {
  db = await createTestDatabase('real');
  ws = tempDir();
  app = demoApp(db, ws, { env: { DATA_DIR: ws } });
  writeStore(store.users, store.projects);
  app.applySchema();
});
afterAll(async () => db?.close());

describe('the migration on a real store', () => {
  it('declares exactly the constant defaults the tables have', async () => {
    for (const spec of Object.values(ENTITIES) as Array<{ table: string; fields: Record<string, unknown> }>) {
      const r = await db.query(
        `SELECT column_name, column_default FROM information_schema.columns WHERE table_name = $1`,
        [spec.table],
      );
      const constant = Object.fromEntries(
        r.rows
          .filter((c: { column_default: string | null }) => c.column_default && !/\(/.test(c.column_default))
          .map((c: { column_name: string; column_default: string }) => [
            c.column_name,
            c.column_default.replace(/::text$/, '').replace(/^'(.*)'$/, '$1'),
          ]),
      );
      const declared = Object.fromEntries(
        Object.values(spec.fields as Record<string, { column: string; default?: unknown }>)
          .filter((f) => f.default !== undefined)
          .map((f) => [f.column, String(f.default)]),
      );
      expect([spec.table, declared]).toEqual([spec.table, constant]);
    }
  });

  it('under --on-duplicate=fail, an email used twice stops it before anything is written', async () => {
    const r = app.run(MIGRATE);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /❌ users email "shared@example.com" used twice: at users.json users\[302\], users.json users\[305\]/,
    );
    expect(r.stdout).toMatch(/❌ 1 value\(s\) a unique column holds twice: nothing was written/);
    expect(await count('users')).toBe(0);
  });

  it('with --defaults=reject, a missing value with a column default rejects its record, and the choice is recorded', () => {
    const r = app.run(MIGRATE, ['--on-duplicate=keep-first', '--defaults=reject']);
    expect(r.stdout).toMatch(/rejects its record \(--defaults=reject\)/);
    const plan = JSON.parse(readFileSync(join(ws, 'migration-plan.json'), 'utf8'));
    expect(plan.defaults).toBe('reject');
    const filledRecords = [...store.expected].filter(([, o]) => o.filled).map(([w]) => w);
    const refused = plan.unconvertible.filter((u: { reason: string }) =>
      /--defaults=fill would write it/.test(u.reason),
    );
    expect(refused.map((u: { where: string }) => u.where).sort()).toEqual(filledRecords.sort());
  });

  it('keep-last keeps the later of two records holding one email, by their places in the file', async () => {
    await db.query('TRUNCATE users, projects, tasks, milestones CASCADE');
    const r = app.run(MIGRATE, ['--on-duplicate=keep-last']);
    const rejected = lines('migration-rejected.jsonl');
    const c = rejected.find((x) => x.where === 'users.json users[302]');
    expect(c?.reason).toBe('email also used by the record at users[305], which was kept (--on-duplicate=keep-last)');
    expect(rejected.some((x) => x.where === 'users.json users[305]')).toBe(false);
    expect(r.stdout).toMatch(/↷ Not kept users "user_c" \(users.json users\[302\]\): email also used/);
    const kept = (await db.query(`SELECT name FROM users WHERE email = 'shared@example.com'`)).rows;
    expect(kept).toEqual([{ name: 'Shared second' }]);
  });

  it('keep-first: every record as expected, defaults filled and listed, maps read, legacy task ids per project', async () => {
    await db.query('TRUNCATE users, projects, tasks, milestones CASCADE');
    const r = app.run(MIGRATE, ['--on-duplicate=keep-first']);
    expect(r.status, r.stdout + r.stderr).toBe(1); // some records are rejected, each with its reason
    const rejected = lines('migration-rejected.jsonl');
    expect(rejected.map((x) => x.where).sort()).toEqual(rejectedWheres().sort());
    for (const x of rejected)
      expect([x.where, x.reason]).toEqual([
        x.where,
        expect.stringMatching(store.expected.get(x.where as string)!.reason!),
      ]);
    // each default filled is listed with its record, and counted
    const filled = lines('migration-defaults.jsonl');
    const want = [...store.expected].filter(([, o]) => o.filled && o.outcome === 'migrated');
    expect(filled.map((x) => [x.where, Object.keys(x.fields as object)]).sort()).toEqual(
      want.map(([w, o]) => [w, o.filled]).sort(),
    );
    expect(r.stdout).toMatch(/USERS:[^]*Default filled: 2 \(each in/);
    // in the last lines too, which the phase report keeps
    expect(r.stdout.trim().split('\n').slice(-15).join('\n')).toMatch(
      /ℹ️ {2}Default filled: 6 record\(s\) \(users 2, projects 1, tasks 1, milestones 2\), each listed in/,
    );
    expect(r.stdout).toMatch(/TASKS:[^]*Default filled: 1 [^]*Converted from a map: 2/);
    const plan = JSON.parse(readFileSync(join(ws, 'migration-plan.json'), 'utf8'));
    expect(plan.defaults).toBe('fill');
    expect(plan.malformed).toEqual([]); // a null list of tasks is no tasks; a map is read
    // every record is in PostgreSQL or rejected
    const migrated = (e: string) =>
      [...store.expected].filter(([w, o]) => o.outcome === 'migrated' && entityOf(w) === e).length;
    for (const e of ['users', 'projects', 'tasks', 'milestones']) expect([e, await count(e)]).toEqual([e, migrated(e)]);
    // task "1" of proj_a and of proj_b are two tasks, each mapped within its project
    const ones = (
      await db.query(
        `SELECT t.id::text AS id, p.id::text AS project, t.title, t.due_date::text AS due FROM tasks t ` +
          `JOIN projects p ON p.id = t.project_id WHERE t.legacy->'original'->>'id' = '1' ORDER BY t.title`,
      )
    ).rows;
    expect(ones.map((t: { title: string }) => t.title)).toEqual(['A one', 'B one']);
    for (const t of ones) expect(t.id).toBe(uuidv5('1', t.project));
    expect(ones[0].due).toBe('2025-11-03');
    const a = (await db.query(`SELECT role, created_at FROM users WHERE email = 'a@example.com'`)).rows[0];
    expect(a.role).toBe('user');
    const owner = (await db.query(`SELECT owner_id FROM projects WHERE name = 'Legacy numbering B'`)).rows[0];
    expect(owner.owner_id).toBeNull();
  });

  it('a second run writes nothing', () => {
    const r = app.run(MIGRATE, ['--on-duplicate=keep-first']);
    for (const e of ['USERS', 'PROJECTS', 'TASKS', 'MILESTONES'])
      expect(r.stdout).toMatch(new RegExp(`${e}:\\n(?:.*\\n){3}  Written by this run: 0 inserted, 0 updated`));
  });

  it('validation right after: every discrepancy is a record the migration rejected, none a conversion', async () => {
    // the runbook's check: by its kinds, the 7 missing values the migration filled with their declared default
    const check = await runbookValidation();
    const kinds = [...discrepancyLines(check.artifacts![0].file)].map((l) => l.split(' ')[1]);
    expect(kinds.filter((k) => !['missing', 'malformed', 'default-as-declared'].includes(k))).toEqual([]);
    expect(kinds.filter((k) => k === 'default-as-declared')).toHaveLength(7);
    // the app's own script: each discrepancy stands where a rejected record stands, and each rejected record is one
    const r = app.run('database/validate-data.js');
    expect(r.status).toBe(1);
    const found = readFileSync(scriptDiscrepancyFile(r.stdout), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { kind: string; where: string });
    expect(found.filter((d) => !['not-migrated', 'duplicate', 'missing'].includes(d.kind))).toEqual([]);
    expect(new Set(found.map((d) => d.where))).toEqual(new Set(rejectedWheres()));
  });

  it('rollback gives every migrated record back as written: maps as maps, null as null, ids per project', () => {
    const r = app.run('database/rollback-to-json.js', ['--force']);
    expect(r.status, r.stderr).toBe(0);
    const back = {
      users: JSON.parse(readFileSync(join(ws, 'users.json'), 'utf8')).users,
      projects: JSON.parse(readFileSync(join(ws, 'projects.json'), 'utf8')).projects,
    };
    const gone = new Set(rejectedWheres());
    expect(back.users).toEqual(store.users.filter((_, i) => !gone.has(`users.json users[${i}]`)));
    const projects = (store.projects as Array<Record<string, unknown>>).map((p, i) => {
      const out = { ...p };
      for (const f of ['tasks', 'milestones']) {
        const v = p[f];
        const at = (k: string) => `projects.json projects[${i}].${f}${k}`;
        if (Array.isArray(v)) out[f] = v.filter((_, j) => !gone.has(at(`[${j}]`)));
        else if (v && typeof v === 'object')
          out[f] = Object.fromEntries(Object.entries(v).filter(([k]) => !gone.has(at(`[${JSON.stringify(k)}]`))));
      }
      return out;
    });
    expect(back.projects).toEqual(projects);
    expect(JSON.stringify(back.projects.at(-1))).toBe(JSON.stringify(projects.at(-1))); // key order too
  });

  it('migrate → rollback → validate: 0 discrepancies, by the script and by the runbook check', async () => {
    const r = app.run('database/validate-data.js');
    expect(r.stdout).toMatch(/✅ Total Discrepancies Found: 0/);
    expect(r.stdout).toMatch(/Validating Tasks[^]*Default filled by the migration \(declared, not a discrepancy\): 2/);
    const check = await runbookValidation();
    expect(check.status, check.summary).toBe('pass');
    expect(check.summary).toMatch(
      /Total Discrepancies Found: 0 .*; 7 missing values hold their declared column default/,
    );
  });

  it('rows migrated with the old mapping of a nested legacy id are moved to their id, once', async () => {
    const oldId = uuidv5('2', NS);
    const b = (await db.query(`SELECT id::text FROM projects WHERE name = 'Legacy numbering B'`)).rows[0].id;
    await db.query(`DELETE FROM tasks WHERE id = $1`, [uuidv5('2', b)]);
    await db.query(
      `INSERT INTO tasks (id, project_id, title, status, priority, created_at) VALUES ($1, $2, 'B two', 'doing', 4, $3)`,
      [oldId, b, '2024-08-17T07:13:00Z'],
    );
    const r = app.run(MIGRATE, ['--on-duplicate=keep-first']);
    expect(r.stdout).toMatch(/Moved to the id mapped within their project \(migrated before with the old mapping\): 1/);
    expect(await count(`tasks WHERE id = '${oldId}'`)).toBe(0);
    expect(await count(`tasks WHERE id = '${uuidv5('2', b)}'`)).toBe(1);
    expect(app.run('database/validate-data.js').stdout).toMatch(/✅ Total Discrepancies Found: 0/);
  });

  it("the runbook's data section and data-validation check declare what the migration's conversions derive", () => {
    const rb = parse(readFileSync('runbook.yaml', 'utf8')) as {
      data: Record<string, Record<string, unknown>>;
      checks: Record<string, { params: { entities: unknown } }>;
    };
    const data = Object.fromEntries(
      Object.entries(rb.data).map(([k, e]) => [k, e.file ? { ...e, file: basename(e.file as string) } : e]),
    );
    expect(data).toEqual(entities);
    expect(rb.checks['data-validation'].params.entities).toEqual(comparisons);
  });
});

function entityOf(where: string): string {
  const m = /\.(tasks|milestones)\[[^\]]*\]$/.exec(where);
  return m ? m[1] : where.startsWith('users') ? 'users' : 'projects';
}
