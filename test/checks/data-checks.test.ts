import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createTestDatabase } from '../helpers/pg.js';
import { harness } from '../helpers/checks.js';
import { tempDir } from '../helpers/tmp.js';
import { uuidv5 } from '../../src/checks/normalize.js';
import type { Entity } from '../../src/runbook/schema.js';

const NS = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
const U = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dir: string;
const data: Record<string, Entity> = {
  users: { file: 'users.json', path: 'users', key: 'id', table: 'users' },
  projects: { file: 'projects.json', path: 'projects', key: 'id', table: 'projects' },
  tasks: { nested_in: 'projects', field: 'tasks', key: 'id', table: 'tasks' },
};

beforeAll(async () => {
  db = await createTestDatabase('data');
  dir = tempDir();
  await db.query(`CREATE TABLE users (id uuid PRIMARY KEY, email text, name text, created_at timestamptz)`);
  await db.query(`CREATE TABLE projects (id uuid PRIMARY KEY, name text, owner_id uuid)`);
  await db.query(`CREATE TABLE tasks (id uuid PRIMARY KEY, project_id uuid, title text, priority int, done boolean)`);
  const users = [
    { id: U(1), email: 'a@x.io', name: 'Ann', createdAt: '2025-10-17T10:00:00Z' },
    { id: U(2), email: 'b@x.io', name: 'Bob', createdAt: '2025-10-17T12:30:00.000+02:00' }, // same instant, other notation
    { id: 'user_legacy_3', email: 'c@x.io', name: 'Cy', createdAt: '2025-10-18T00:00:00Z' }, // legacy id → uuid v5
    { id: U(4), email: 'd@x.io', name: 'Dee (JSON)', createdAt: '2025-10-18T00:00:00Z' }, // changed in PG
    { id: U(5), email: 'e@x.io', name: 'Eve', createdAt: '2025-10-18T00:00:00Z' }, // deleted from PG
  ];
  writeFileSync(join(dir, 'users.json'), JSON.stringify({ users }, null, 2));
  const projects = [
    {
      id: U(100),
      name: 'P',
      ownerId: U(1),
      tasks: [
        { id: U(200), title: 'Setup', priority: '2', done: 'true' },
        { id: U(201), title: 'Ship', priority: 1, done: false },
      ],
    },
  ];
  writeFileSync(join(dir, 'projects.json'), JSON.stringify({ projects }));
  await db.query(
    `INSERT INTO users VALUES ($1,'a@x.io','Ann','2025-10-17 10:00:00+00'), ($2,'b@x.io','Bob','2025-10-17 10:30:00+00'), ($3,'c@x.io','Cy','2025-10-18 00:00:00+00'), ($4,'d@x.io','Dee (PG)','2025-10-18 00:00:00+00'), ($5,'z@x.io','Zed','2025-10-19 00:00:00+00')`,
    [U(1), U(2), uuidv5('user_legacy_3', NS), U(4), U(6)],
  );
  await db.query(`INSERT INTO projects VALUES ($1, 'P', $2)`, [U(100), U(1)]);
  await db.query(`INSERT INTO tasks VALUES ($1, $3, 'Setup', 2, true), ($2, $3, 'Ship', 1, false)`, [
    U(200),
    U(201),
    U(100),
  ]);
});
afterAll(async () => db?.close());

describe('counts', () => {
  it('shows both numbers per entity and passes when they are equal', async () => {
    const h = harness(db.url, data, dir);
    const r = await h.run('counts', { entities: ['users', 'projects', 'tasks'] });
    await h.close();
    expect(r.status).toBe('pass');
    expect(r.evidence?.[0].rows).toEqual([
      ['users', 5, 5, 0],
      ['projects', 1, 1, 0],
      ['tasks', 2, 2, 0],
    ]);
    // equal counts although the rows differ: counts alone pass, validation will not
    expect(r.metrics).toMatchObject({ json_users: 5, pg_users: 5, json_tasks: 2, pg_tasks: 2 });
  });
  it('fails when a count differs', async () => {
    await db.query(`INSERT INTO tasks VALUES ($1, $2, 'Extra', 3, false)`, [U(299), U(100)]);
    const h = harness(db.url, data, dir);
    const r = await h.run('counts', { entities: ['tasks'] });
    await db.query(`DELETE FROM tasks WHERE id = $1`, [U(299)]);
    await h.close();
    expect(r.status).toBe('fail');
    expect(r.summary).toBe('counts differ: tasks 2≠3');
  });
});

describe('data.validate', () => {
  it('finds exactly the planted discrepancies and ignores notation-only differences', async () => {
    const h = harness(db.url, data, dir);
    const r = await h.run('data.validate', {
      legacy_id_namespace: NS,
      entities: [
        { name: 'users', fields: { email: 'email', name: 'name', createdAt: 'created_at' } },
        { name: 'tasks', parent_column: 'project_id', fields: { title: 'title', priority: 'priority', done: 'done' } },
      ],
    });
    await h.close();
    expect(r.status).toBe('fail');
    expect(r.metrics).toMatchObject({
      users_json: 5,
      users_pg: 5,
      users_matched: 3,
      users_missing: 1,
      users_extra: 1,
      users_mismatched: 1,
      users_accuracy_pct: 60,
      tasks_json: 2,
      tasks_pg: 2,
      tasks_matched: 2,
      tasks_missing: 0,
      tasks_extra: 0,
      tasks_mismatched: 0,
      tasks_accuracy_pct: 100,
      discrepancies: 3,
    });
    const examples = r.evidence?.[1].rows;
    expect(examples).toEqual(
      expect.arrayContaining([
        ['users', U(4), 'field differs', 'name', 'Dee (JSON)', 'Dee (PG)'],
        ['users', U(5), 'missing in PostgreSQL', '(row)', 'present', 'missing'],
        ['users', U(6), 'extra in PostgreSQL', '(row)', 'missing', 'present'],
      ]),
    );
    expect(examples).toHaveLength(3);
    expect(r.summary).toMatch(/Total Discrepancies Found: 3/);
  });

  it('contains mode: a row only in PostgreSQL is noted, not a discrepancy; a missing or differing one still is', async () => {
    const h = harness(db.url, data, dir);
    const r = await h.run('data.validate', {
      legacy_id_namespace: NS,
      mode: 'contains',
      entities: [{ name: 'users', fields: { email: 'email', name: 'name', createdAt: 'created_at' } }],
    });
    await h.close();
    expect(r.status).toBe('fail');
    expect(r.metrics).toMatchObject({
      users_missing: 1,
      users_extra: 0,
      users_mismatched: 1,
      users_only_in_pg: 1,
      discrepancies: 2,
    });
    expect(r.evidence?.[1].rows).not.toContainEqual(expect.arrayContaining(['extra in PostgreSQL']));
    expect(r.summary).toMatch(/Total Discrepancies Found: 2/);
  });

  it('passes at 100 % when the data agree', async () => {
    const h = harness(db.url, data, dir);
    const r = await h.run('data.validate', {
      entities: [
        { name: 'tasks', parent_column: 'project_id', fields: { title: 'title', priority: 'priority', done: 'done' } },
      ],
    });
    await h.close();
    expect(r.status).toBe('pass');
    expect(r.summary).toMatch(/Total Discrepancies Found: 0/);
    expect(r.metrics.accuracy_pct).toBe(100);
  });

  it('reports a missing JSON file or table as an error with a hint', async () => {
    const h = harness(
      db.url,
      {
        ...data,
        ghosts: { file: 'ghosts.json', key: 'id', table: 'users' },
        phantoms: { file: 'users.json', path: 'users', key: 'id', table: 'phantoms' },
      },
      dir,
    );
    const noFile = await h.run('data.validate', { entities: [{ name: 'ghosts', fields: { email: 'email' } }] });
    expect(noFile.status).toBe('error');
    expect(noFile.summary).toMatch(/JSON file not found/);
    expect(noFile.hint).toMatch(/DATA_DIR/);
    const noTable = await h.run('data.validate', { entities: [{ name: 'phantoms', fields: { email: 'email' } }] });
    expect(noTable.status).toBe('error');
    expect(noTable.summary).toMatch(/table phantoms does not exist/);
    await h.close();
  });

  it("reports a JSON file cut short as that file's fault, with what to do, not the server's", async () => {
    const cut = tempDir();
    writeFileSync(join(cut, 'users.json'), '{"users": [{"id": 1, "email": "a@example.com"}, {"id": 2, "em');
    const h = harness(db.url, data, cut);
    const validate = await h.run('data.validate', { entities: [{ name: 'users', fields: { email: 'email' } }] });
    const counts = await h.run('counts', { entities: ['users'] });
    await h.close();
    for (const r of [validate, counts]) {
      expect(r.status).toBe('error');
      expect(r.summary).toMatch(/users\.json ends inside the array "users": it is cut short/);
      expect(r.hint).toMatch(/JSON file: it is damaged or cut short/);
      expect(r.hint).not.toMatch(/PostgreSQL/);
    }
  });

  it('stays within a memory bound on 200k rows (JSON streamed, PostgreSQL read by cursor)', async () => {
    const big = tempDir();
    const N = 200_000;
    const md5uuid = (n: number) => {
      const h = createHash('md5').update(String(n)).digest('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    };
    const out = createWriteStream(join(big, 'users.json'));
    out.write('{"users":[\n');
    const bio = 'x'.repeat(300);
    for (let i = 1; i <= N; i++) {
      const ok = out.write(
        JSON.stringify({ id: md5uuid(i), email: `user${i}@x.io`, name: i === 777 ? 'Changed' : `User ${i}`, bio }) +
          (i < N ? ',\n' : '\n'),
      );
      if (!ok) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((r) => out.end(']}\n', () => r()));
    await db.query(`CREATE TABLE big_users (id uuid PRIMARY KEY, email text, name text)`);
    await db.query(
      `INSERT INTO big_users SELECT md5(g::text)::uuid, 'user' || g || '@x.io', 'User ' || g FROM generate_series(1, ${N}) g`,
    );
    // Run in a child with a 64 MB heap, and the comparison's worker thread with one too: neither
    // the 60+ MB file nor a map of every key would fit.
    const script = `
      import { harnessRun } from ${JSON.stringify(join(process.cwd(), 'test/helpers/run-validate.mjs'))};
      const r = await harnessRun(${JSON.stringify(db.url)}, ${JSON.stringify(big)});
      console.log(JSON.stringify({ metrics: r.metrics, status: r.status, summary: r.summary, heapMB: process.memoryUsage().heapUsed / 1048576, rssMB: process.memoryUsage().rss / 1048576 }));
    `;
    const child = spawnSync(process.execPath, ['--max-old-space-size=64', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, WAYMARK_VALIDATE_HEAP_MB: '64' },
      timeout: 240_000,
    });
    expect(child.stderr).toBe('');
    const res = JSON.parse(child.stdout.trim().split('\n').pop()!);
    expect(res.metrics).toMatchObject({
      users_json: N,
      users_pg: N,
      users_matched: N - 1,
      users_mismatched: 1,
      users_missing: 0,
      users_extra: 0,
    });
    expect(res.status).toBe('fail');
    expect(res.heapMB).toBeLessThan(64);
  }, 300_000);
});
