// Into an empty table the migration inserts without ON CONFLICT; a row the live app writes
// meanwhile with one of the same ids must not be refused: the range is upserted instead.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { demoApp } from '../helpers/demo-app.js';

const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let ws: string;
let run: ReturnType<typeof demoApp>['run'];

beforeAll(async () => {
  db = await createTestDatabase('live');
  ws = tempDir();
  const app = demoApp(db, ws, { env: { DATA_DIR: ws } });
  run = app.run;
  const users = Array.from({ length: 50 }, (_, i) => ({
    id: uuid(i + 1),
    email: `u${i + 1}@example.com`,
    name: `User ${i + 1}`,
    role: 'user',
    createdAt: '2024-01-01T00:00:00Z',
  }));
  writeFileSync(join(ws, 'users.json'), JSON.stringify({ users }));
  writeFileSync(join(ws, 'projects.json'), JSON.stringify({ projects: [] }));
  app.applySchema();
  // the app writes user 7 (with a stale name) just as the migration's first INSERT begins
  await db.query(`CREATE FUNCTION app_writes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF pg_trigger_depth() = 1 THEN
        INSERT INTO users (id, email, name, role) VALUES ('${uuid(7)}', 'u7@example.com', 'Stale', 'user')
        ON CONFLICT DO NOTHING;
      END IF;
      RETURN NULL; END $$`);
  await db.query(`CREATE TRIGGER app_writes BEFORE INSERT ON users FOR EACH STATEMENT EXECUTE FUNCTION app_writes()`);
});
afterAll(async () => db?.close());

describe('the migration into an empty table while the app writes', () => {
  it('upserts the range whose id the app wrote meanwhile: nothing refused, the JSON values kept', async () => {
    const r = run('database/migrate-json-to-postgres.js');
    expect(r.stdout).toMatch(/✅ Migration completed successfully!/);
    expect(r.stdout).toMatch(/USERS:\n {2}Total: 50\n {2}Migrated: 50 \(100\.0%\)\n {2}Errors: 0/);
    const rows = await db.query(`SELECT count(*)::int AS n FROM users`);
    expect(rows.rows[0].n).toBe(50);
    const u7 = await db.query(`SELECT name FROM users WHERE id = $1`, [uuid(7)]);
    expect(u7.rows[0].name).toBe('User 7');
  });
});
