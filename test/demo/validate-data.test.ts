// The sample app's own validation script (examples/fluxstudio/database/validate-data.js): it reads
// the store as the migration does and compares in PostgreSQL; what the live app writes while it
// runs is told apart from a discrepancy, and a server or a file that is not there gets a sentence.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { loadRunbook } from '../../src/load/loader.js';
import { harness } from '../helpers/checks.js';
import { createTestDatabase } from '../helpers/pg.js';
import { demoApp, discrepancyLines, scriptDiscrepancyFile } from '../helpers/demo-app.js';
import { tempDir } from '../helpers/tmp.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let ws: string;
let app: ReturnType<typeof demoApp>;
const NS = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
const U1 = '00000000-0000-4000-8000-000000000001';
const P1 = '00000000-0000-4000-8000-0000000000a1';
const users = [
  {
    id: U1,
    email: 'a@x.io',
    name: 'A',
    role: 'admin',
    createdAt: '2024-01-01T00:00:00Z',
    updatedAt: '2024-01-02T00:00:00Z',
  },
  { id: 'legacy-2', email: 'b@x.io', name: 'B', createdAt: '2024-01-03T10:00:00Z' },
];
const projects = [
  {
    id: P1,
    name: 'P',
    ownerId: U1,
    createdAt: '2024-02-01T00:00:00Z',
    tasks: [{ id: '1', title: 'T one', status: 'todo', priority: 2, createdAt: '2024-02-02T00:00:00Z' }],
    milestones: { m1: { title: 'M', completed: 'false', dueDate: '2024-03-01' } },
  },
];

beforeAll(async () => {
  db = await createTestDatabase('vd');
  ws = tempDir();
  app = demoApp(db, ws);
  writeFileSync(join(ws, 'users.json'), JSON.stringify({ users }, null, 2));
  writeFileSync(join(ws, 'projects.json'), JSON.stringify({ projects }, null, 2));
  app.applySchema();
  expect(app.run('database/migrate-json-to-postgres.js').status).toBe(0);
});
afterAll(async () => {
  await db?.close();
});

const validate = () => {
  const r = app.run('database/validate-data.js');
  return { ...r, lines: discrepancyLines(scriptDiscrepancyFile(r.stdout)) };
};

describe("the sample app's validate-data.js", () => {
  it('right after the migration: every record matched, counted per entity, exit 0', () => {
    const r = validate();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✅ Total Discrepancies Found: 0/);
    expect(r.stdout).toMatch(
      /USERS:\n {2}JSON Count: 2\n {2}PostgreSQL Count: 2\n {2}Matched: 2\n {2}Missing: 0\n {2}Accuracy: 100\.0%/,
    );
    expect(r.stdout).toMatch(/MILESTONES:\n {2}JSON Count: 1\n {2}PostgreSQL Count: 1\n {2}Matched: 1/);
    // the defaults the migration filled (user B's role) are declared, not discrepancies
    expect(r.stdout).toMatch(/Validating Users[^]*Default filled by the migration \(declared, not a discrepancy\): 1/);
    expect(r.lines.size).toBe(0);
  });

  it('a row the app changed after the read is not judged by it; one changed before is a discrepancy', async () => {
    await db.query(`UPDATE users SET name = 'Renamed', updated_at = now() + interval '1 minute' WHERE id = $1`, [U1]);
    const live = validate();
    expect(live.status).toBe(0);
    expect(live.stdout).toMatch(/Changed since the JSON was read \(not compared\): 1/);
    await db.query(`UPDATE users SET updated_at = '2024-01-05T00:00:00Z' WHERE id = $1`, [U1]);
    const stale = validate();
    expect(stale.status).toBe(1);
    expect([...stale.lines].sort()).toEqual([
      `users differs ${U1} name A Renamed`,
      `users differs ${U1} updatedAt 2024-01-02 00:00:00+00 2024-01-05 00:00:00+00`,
    ]);
    await db.query(`UPDATE users SET name = 'A', updated_at = '2024-01-02T00:00:00Z' WHERE id = $1`, [U1]);
  });

  it('a task PostgreSQL has and the JSON not is extra, unless it was written after the read', async () => {
    const old = '00000000-0000-4000-8000-0000000000c1';
    const fresh = '00000000-0000-4000-8000-0000000000c2';
    await db.query(
      `INSERT INTO tasks (id, project_id, title, created_at) VALUES ($1, $3, 'old', '2020-01-01'), ` +
        `($2, $3, 'fresh', now() + interval '1 minute')`,
      [old, fresh, P1],
    );
    const r = validate();
    expect(r.status).toBe(1);
    expect([...r.lines]).toEqual([`tasks extra ${old} (row) missing present`]);
    expect(r.stdout).toMatch(/Validating Tasks[^]*New since the JSON was read \(not a discrepancy\): 1/);
    await db.query(`DELETE FROM tasks WHERE id = ANY($1)`, [[old, fresh]]);
  });

  it('an id the store holds twice: keep-first migrates one copy, and the gates hold the other as not kept', async () => {
    const dir = tempDir();
    const twice = demoApp(db, dir);
    const copy = { ...users[0], name: 'A (renamed)', updatedAt: '2024-02-01T00:00:00Z' };
    writeFileSync(join(dir, 'users.json'), JSON.stringify({ users: [...users, copy] }));
    writeFileSync(join(dir, 'projects.json'), JSON.stringify({ projects }));
    const refused = twice.run('database/migrate-json-to-postgres.js');
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/❌ 1 duplicate id\(s\): nothing was written/);
    const m = twice.run('database/migrate-json-to-postgres.js', ['--on-duplicate=keep-first']);
    expect(m.status, m.stdout).toBe(0);
    expect(m.stdout).toMatch(/↷ Not kept users "0{8}-0{4}-4000-8000-0{11}1" \(users.json users\[2\]\): duplicate id/);
    expect(m.stdout).toMatch(/✅ Migration completed successfully!/);
    const script = twice.run('database/validate-data.js');
    expect(script.status, script.stdout).toBe(0);
    expect(script.stdout).toMatch(/Not kept \(a copy of a duplicated id; PostgreSQL holds another copy exactly\): 1/);
    const rb = loadRunbook('runbook.yaml', { environment: 'staging' }).runbook;
    const data = Object.fromEntries(
      Object.entries(rb.data).map(([k, e]) => [k, e.file ? { ...e, file: basename(e.file) } : e]),
    );
    const h = harness(db.url, data, dir);
    try {
      const counts = await h.run('counts', { ...rb.checks['counts-match'].params });
      expect(counts.status, counts.summary).toBe('pass');
      const plain = await h.run('counts', { entities: ['users'] });
      expect(plain.summary).toMatch(/users 3≠2/);
      const check = await h.run('data.validate', { ...rb.checks['data-validation'].params, legacy_id_namespace: NS });
      expect(check.status, check.summary).toBe('pass');
      expect(check.summary).toMatch(/1 copies of duplicated ids not kept \(PostgreSQL holds another copy exactly\)/);
      // with the renamed copy kept instead, the first copy is the one not kept
      await db.query(`UPDATE users SET name = 'A (renamed)', updated_at = '2024-02-01T00:00:00Z' WHERE id = $1`, [U1]);
      const last = await h.run('data.validate', { ...rb.checks['data-validation'].params, legacy_id_namespace: NS });
      expect(last.status, last.summary).toBe('pass');
      // a row equal to neither copy: a discrepancy
      await db.query(`UPDATE users SET name = 'Neither' WHERE id = $1`, [U1]);
      const neither = await h.run('data.validate', { ...rb.checks['data-validation'].params, legacy_id_namespace: NS });
      expect(neither.status).toBe('fail');
      expect(neither.summary).toMatch(/duplicate in JSON 1/);
    } finally {
      await h.close();
      await db.query(`UPDATE users SET name = 'A', updated_at = '2024-01-02T00:00:00Z' WHERE id = $1`, [U1]);
    }
  });

  it('a server that refuses, or a store that is not there: one sentence, exit 1, no stack', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const elsewhere = tempDir();
    for (const f of ['users.json', 'projects.json']) copyFileSync(join(ws, f), join(elsewhere, f));
    const down = demoApp({ url: db.url.replace(/:\d+\//, `:${port}/`), name: db.name }, elsewhere);
    const r = down.run('database/validate-data.js');
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      `❌ Validation could not run: PostgreSQL at 127.0.0.1:${port} refused the connection: is it running?`,
    );
    const empty = join(tempDir(), 'nothing');
    mkdirSync(empty);
    const none = demoApp(db, tempDir(), { env: { DATA_DIR: empty } }).run('database/validate-data.js');
    expect(none.status).toBe(1);
    expect(none.stderr.trim()).toBe(
      `❌ Validation could not run: there is no JSON store in ${empty} (no users.json, no projects.json): is DATA_DIR right?`,
    );
  });
});
