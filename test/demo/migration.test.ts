// Zero data loss, proven on an adversarial store: every record is migrated exactly or
// rejected with a reason; a second run changes nothing; the rollback gives back the original.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from '../helpers/pg.js';
import { demoApp, runbookValidation, discrepancyLines, scriptDiscrepancyFile } from '../helpers/demo-app.js';
import { tempDir } from '../helpers/tmp.js';
import { adversarial } from '../fixtures/adversarial.js';

const NS = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let ws: string;
let run: ReturnType<typeof demoApp>['run'];
const data = adversarial();

beforeAll(async () => {
  db = await createTestDatabase('adv');
  ws = tempDir();
  const app = demoApp(db, ws, {
    lines: ['USE_POSTGRES=false', 'DUAL_WRITE_ENABLED=true'],
    env: { TZ: 'America/New_York' },
  });
  run = app.run;
  writeFileSync(join(ws, 'users.json'), JSON.stringify({ users: data.users }, null, 2));
  writeFileSync(join(ws, 'projects.json'), JSON.stringify({ projects: data.projects }, null, 2));
  // the server's TimeZone must not matter: zone-less times are UTC
  await db.query(`ALTER DATABASE ${db.name} SET timezone TO 'Asia/Tokyo'`);
  app.applySchema();
});
afterAll(async () => {
  await db?.close();
});

const count = async (t: string) => Number((await db.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);

describe('migration of an adversarial JSON store', () => {
  it('refuses to start on duplicate ids unless a resolution is chosen, and writes nothing', async () => {
    const r = run('database/migrate-json-to-postgres.js');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/❌ duplicate users id: 777 at users.json users\[1\], "777" at users.json users\[2\]/);
    expect(r.stdout).toMatch(/❌ 2 duplicate id\(s\): nothing was written/);
    expect(r.stdout).toMatch(/fields without a column, kept for rollback: preferences \(1\), deletedAt \(1\)/);
    expect(await count('users')).toBe(0);
    const plan = JSON.parse(readFileSync(join(ws, 'migration-plan.json'), 'utf8'));
    expect(plan.duplicates).toHaveLength(2);
    expect(plan.malformed.map((m: { where: string }) => m.where)).toEqual([
      'users.json users[3]',
      'projects.json projects[0].tasks[2]',
    ]);
    expect(plan.fromMap).toEqual([{ entity: 'tasks', where: 'projects.json projects[1].tasks', records: 1 }]);
  });

  it('with --on-duplicate=keep-first: every record is migrated exactly or rejected with a reason, none silently', async () => {
    const r = run('database/migrate-json-to-postgres.js', ['--on-duplicate=keep-first']);
    expect(r.status).toBe(1);
    // the two copies of a duplicated id the operator chose not to keep are listed, not errors
    expect(r.stdout).toMatch(/Migration finished with 14 rejected record\(s\)/);
    expect(r.stdout).toMatch(/↷ Not kept, as chosen with --on-duplicate=keep-first: 2 record\(s\) \(users 2\)/);
    const rejected = readFileSync(join(ws, 'migration-rejected.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejected.map((x) => x.where).sort()).toEqual(data.rejected.map((x) => x.where).sort());
    for (const e of data.rejected) expect(rejected.find((x) => x.where === e.where).reason).toMatch(e.reason);
    // every record is either in PostgreSQL or in the rejected file
    expect((await count('users')) + rejected.filter((x) => x.entity === 'users').length).toBe(data.users.length);
    const u = (await db.query(`SELECT email, role, created_at, legacy FROM users WHERE email LIKE '%padded%'`)).rows[0];
    expect(u.email).toBe('  padded@example.com  ');
    expect(u.role).toBe('Admin ');
    expect(u.created_at.toISOString()).toBe('2024-01-03T10:00:00.000Z');
    const micro = (
      await db.query(
        `SELECT to_char(created_at AT TIME ZONE 'UTC', 'HH24:MI:SS.US') AS t FROM users WHERE email = 'case@example.com'`,
      )
    ).rows[0];
    expect(micro.t).toBe('10:00:00.123456');
    expect(
      (await db.query(`SELECT created_at FROM users WHERE email = 'Case@Example.com'`)).rows[0].created_at,
    ).toBeNull();
    const m = (await db.query(`SELECT title, completed FROM milestones ORDER BY title`)).rows;
    expect(m).toEqual([
      { title: 'M one', completed: true },
      { title: 'M string false', completed: false },
    ]);
  });

  it('a second run changes nothing', () => {
    const r = run('database/migrate-json-to-postgres.js', ['--on-duplicate=keep-first']);
    for (const e of ['USERS', 'PROJECTS', 'TASKS', 'MILESTONES'])
      expect(r.stdout).toMatch(
        new RegExp(
          `${e}:\\n  Total: \\d+\\n  Migrated: \\d+ \\([\\d.]+%\\)\\n  Errors: \\d+\\n  Written by this run: 0 inserted, 0 updated \\(\\d+ already up to date\\)`,
        ),
      );
  });

  it('validation names exactly the planted changes, each with its kind, and every column is compared or named', async () => {
    // the runbook's data-validation check, and the app's own script: each names every change planted below
    const check = async () => {
      const r = await runbookValidation(db.url, ws, NS);
      return { r, lines: discrepancyLines(r.artifacts![0].file) };
    };
    const script = () => {
      const r = run('database/validate-data.js');
      return { r, lines: discrepancyLines(scriptDiscrepancyFile(r.stdout)) };
    };
    const c0 = await check();
    expect(c0.r.evidence?.[2]?.rows).toContainEqual([
      'users',
      'legacy',
      expect.stringMatching(/^what the migration keeps for rollback/),
    ]);
    const s0 = c0.lines;
    const p0 = script().lines;
    // the records the migration rejected are what the store still has and PostgreSQL not: by kind
    expect([...s0].filter((x) => x.startsWith('users duplicate'))).toHaveLength(2);
    expect([...s0].filter((x) => x.startsWith('users malformed'))).toEqual([
      'users malformed users.json users[3] (entry) null, not a record null',
    ]);
    // the script: the copies the migration did not keep (keep-first) are counted apart, not discrepancies
    expect([...p0].filter((x) => x.startsWith('users duplicate'))).toEqual([]);
    expect(script().r.stdout).toMatch(/Validating Users[^]*Not kept \(a copy of a duplicated id; [^)]*\): 2/);
    expect([...p0].filter((x) => x.startsWith('users not-migrated null (record) null'))).toHaveLength(1);
    const zw = (await db.query(`SELECT * FROM users WHERE email = 'zw@example.com'`)).rows[0];
    const rtl = (await db.query(`SELECT id::text, name FROM users WHERE email = 'rtl@example.com'`)).rows[0];
    const padded = (await db.query(`SELECT id::text FROM users WHERE email LIKE '%padded%'`)).rows[0];
    const proj1 = (await db.query(`SELECT id::text FROM projects WHERE name = 'Legacy project'`)).rows[0];
    const extra = '00000000-0000-4000-8000-00000000abcd';
    await db.query(`DELETE FROM users WHERE id = $1`, [zw.id]);
    await db.query(`UPDATE users SET name = 'Changed' WHERE id = $1`, [rtl.id]);
    // an old row PostgreSQL has and the JSON never had (a row written after the JSON read would be new, not extra)
    await db.query(
      `INSERT INTO users (id, email, name, role, created_at) VALUES ($1, 'extra@example.com', 'Extra', 'user', '2020-01-01T00:00:00Z')`,
      [extra],
    );
    await db.query(`UPDATE users SET email = btrim(email) WHERE id = $1`, [padded.id]);
    await db.query(`UPDATE projects SET description = NULL WHERE id = $1`, [proj1.id]);
    // as an old migration did: a missing time filled with the column's default
    const caseA = (
      await db.query(
        `UPDATE users SET created_at = '2026-01-01T00:00:00Z' WHERE email = 'Case@Example.com' RETURNING id::text`,
      )
    ).rows[0];
    const fresh = '00000000-0000-4000-8000-00000000beef';
    await db.query(
      `INSERT INTO users (id, email, name, role, created_at) VALUES ($1, 'fresh@example.com', 'Fresh', 'user', now() + interval '1 minute')`,
      [fresh],
    );
    const c1 = await check();
    expect(c1.r.status).toBe('fail');
    const added = [...c1.lines].filter((x) => !s0.has(x)).sort();
    expect(added).toEqual(
      [
        `users missing ${zw.id} (row) present missing`,
        `users differs ${rtl.id} name שלום עולם Changed`,
        `users extra ${extra} (row) missing present`,
        `users new-since-read ${fresh} (row) not yet read present`,
        `users differs ${padded.id} email   padded@example.com   padded@example.com`,
        `projects differs ${proj1.id} description  null`,
        `users default-filled ${caseA.id} createdAt null 2026-01-01T00:00:00.000000Z`,
      ].sort(),
    );
    expect([...s0].filter((x) => !c1.lines.has(x))).toEqual([]);
    // the script: the same changes in its words (a row written after the read is counted, not listed)
    const p1 = script();
    expect(p1.r.status).toBe(1);
    expect(p1.r.stdout).toMatch(/Validating Users[^]*New since the JSON was read \(not a discrepancy\): 1/);
    expect([...p1.lines].filter((x) => !p0.has(x)).sort()).toEqual(
      [
        `users missing ${zw.id} (row) present missing`,
        `users differs ${rtl.id} name שלום עולם Changed`,
        `users extra ${extra} (row) missing present`,
        `users differs ${padded.id} email   padded@example.com   padded@example.com`,
        `projects differs ${proj1.id} description  null`,
        `users differs ${caseA.id} createdAt null 2026-01-01 00:00:00+00`,
      ].sort(),
    );
    expect([...p0].filter((x) => !p1.lines.has(x))).toEqual([]);
    // put PostgreSQL back as the migration left it
    await db.query(`DELETE FROM users WHERE id = ANY($1)`, [[extra, fresh]]);
    await db.query(`UPDATE users SET name = $2 WHERE id = $1`, [rtl.id, rtl.name]);
    await db.query(`UPDATE users SET email = '  padded@example.com  ' WHERE id = $1`, [padded.id]);
    await db.query(`UPDATE projects SET description = '' WHERE id = $1`, [proj1.id]);
    await db.query(`UPDATE users SET created_at = NULL WHERE id = $1`, [caseA.id]);
    const cols = Object.keys(zw);
    await db.query(
      `INSERT INTO users (${cols.join(',')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(',')})`,
      cols.map((c) => zw[c]),
    );
    expect((await check()).lines).toEqual(s0);
    expect(script().lines).toEqual(p0);
  });

  it('the rollback gives back the original, record for record and field for field (but the rejected ones)', () => {
    const r = run('database/rollback-to-json.js', ['--force']);
    expect(r.status).toBe(0);
    const back = {
      users: JSON.parse(readFileSync(join(ws, 'users.json'), 'utf8')).users,
      projects: JSON.parse(readFileSync(join(ws, 'projects.json'), 'utf8')).projects,
    };
    const gone = new Set(data.rejected.map((x) => x.where));
    const users = data.users.filter((_, i) => !gone.has(`users.json users[${i}]`));
    const projects = (data.projects as Array<Record<string, unknown>>)
      .map((p, i) => ({ p, i }))
      .filter(({ i }) => !gone.has(`projects.json projects[${i}]`))
      .map(({ p, i }) => {
        const out = { ...p };
        for (const f of ['tasks', 'milestones'])
          if (Array.isArray(p[f]))
            out[f] = (p[f] as unknown[]).filter((_, j) => !gone.has(`projects.json projects[${i}].${f}[${j}]`));
          else if (p[f] && typeof p[f] === 'object')
            out[f] = Object.fromEntries(
              Object.entries(p[f]).filter(
                ([k]) => !gone.has(`projects.json projects[${i}].${f}[${JSON.stringify(k)}]`),
              ),
            );
        return out;
      });
    expect(back.users).toEqual(users);
    expect(back.projects).toEqual(projects);
    // key order too, as written
    expect(Object.keys(back.projects[0])).toEqual(Object.keys(data.projects[0] as object));
    expect(existsSync(join(ws, 'backups'))).toBe(true);
  });
});
