// The fast comparison (one pass per file, server-side row hashes, external sort, tables read
// at once) against a straightforward one written here: every record of both sides in memory,
// each field normalised and compared by key. On the adversarial store, migrated and then
// changed in planted ways, both must name the same discrepancies.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from '../helpers/pg.js';
import { demoApp } from '../helpers/demo-app.js';
import { tempDir } from '../helpers/tmp.js';
import { adversarial } from '../fixtures/adversarial.js';
import { ConnectionManager } from '../../src/checks/pg.js';
import { Redactor } from '../../src/runbook/redact.js';
import { validateAll, type EntitySpec } from '../../src/checks/validate-run.js';
import { countEntity, streamEntity } from '../../src/checks/json-source.js';
import { normalize, mapLegacyKey, pgTypeToField, type FieldType } from '../../src/checks/normalize.js';
import type { Diff } from '../../src/checks/validate-kinds.js';
import type { Entity } from '../../src/runbook/schema.js';
// @ts-expect-error -- plain JS of the demo app
import { entities, comparisons } from '../../examples/fluxstudio/database/validation-spec.js';

const NS = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
const data = entities as Record<string, Entity>;
const specs = (comparisons as Array<Omit<EntitySpec, 'key_column'>>).map((s) => ({ key_column: 'id', ...s }));
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let ws: string;

beforeAll(async () => {
  db = await createTestDatabase('ref');
  ws = tempDir();
  const { run, applySchema } = demoApp(db, ws, { env: { DATA_DIR: ws } });
  const store = adversarial();
  writeFileSync(join(ws, 'users.json'), JSON.stringify({ users: store.users }, null, 2));
  writeFileSync(join(ws, 'projects.json'), JSON.stringify({ projects: store.projects }, null, 2));
  applySchema();
  expect(run('database/migrate-json-to-postgres.js', ['--on-duplicate=keep-first']).status).toBe(1);
  // planted: a row gone, a name changed, an old row only PostgreSQL has, a default filled, a
  // milestone retitled, times the server cannot write as the reference does (year 10000, infinity)
  await db.query(`DELETE FROM users WHERE email = 'zw@example.com'`);
  await db.query(`UPDATE users SET name = 'Changed "quoted" \\ back' WHERE email = 'rtl@example.com'`);
  await db.query(
    `INSERT INTO users (id, email, name, role, created_at) VALUES ` +
      `('00000000-0000-4000-8000-00000000abcd', 'extra@example.com', 'Extra', 'user', '2020-01-01T00:00:00Z')`,
  );
  await db.query(`UPDATE users SET created_at = '2026-01-01T00:00:00Z' WHERE email = 'Case@Example.com'`);
  await db.query(`UPDATE users SET updated_at = '10000-01-01T00:00:00Z' WHERE email = 'plain@example.com'`);
  await db.query(`UPDATE users SET updated_at = 'infinity' WHERE email = 'upper@example.com'`);
  await db.query(`UPDATE milestones SET title = title || E'\\t\\u0001"' WHERE title = 'M one'`);
  // and the same out-of-range time on both sides: equal, though the server cannot hash it
  const u = (store.users as Array<Record<string, unknown> | null>).find((x) => x?.email === 'nfc@example.com');
  if (!u) throw new Error('the adversarial store has no nfc@example.com');
  u.updatedAt = 'infinity';
  writeFileSync(join(ws, 'users.json'), JSON.stringify({ users: store.users }, null, 2));
  await db.query(`UPDATE users SET updated_at = 'infinity' WHERE email = 'nfc@example.com'`);
  // one more task than projects, only in JSON: the tables of one file differ in size (compared largest first)
  const withTasks = (store.projects as Array<Record<string, unknown> | null>).find(
    (p) => Array.isArray(p?.tasks) && (p.tasks as unknown[]).some((t) => t && typeof t === 'object'),
  );
  if (!withTasks) throw new Error('the adversarial store has no project with a task');
  const tasks = withTasks.tasks as Array<Record<string, unknown>>;
  tasks.push({ ...tasks.find((t) => t && typeof t === 'object')!, id: '00000000-0000-4000-8000-00000000beef' });
  writeFileSync(join(ws, 'projects.json'), JSON.stringify({ projects: store.projects }, null, 2));
});
afterAll(async () => db?.close());

/** The straightforward comparison: both sides whole in memory, field by field. */
async function reference(): Promise<Set<string>> {
  const out = new Set<string>();
  for (const spec of specs) {
    const entity = data[spec.name];
    const cols = Object.entries(spec.fields).map(([f, s]) =>
      typeof s === 'string'
        ? { f, column: s, norms: [], dflt: undefined }
        : { f, column: s.column, type: s.type, norms: s.normalize ?? [], dflt: s.default },
    );
    type Col = { column_name: string; data_type: string; column_default: string | null };
    const types = (await db.query(
      `SELECT column_name, data_type, column_default FROM information_schema.columns WHERE table_name = $1`,
      [entity.table],
    )) as { rows: Col[] };
    const typeOf = (c: string) => types.rows.find((r) => r.column_name === c)!;
    const json = new Map<string, Array<Array<string | null>>>();
    const say = (kind: string, key: string, field: string) => out.add(`${spec.name} ${kind} ${key} ${field}`);
    const values = (get: (c: (typeof cols)[number]) => unknown, parent: unknown, pgSide: boolean) => {
      const v = cols.map((c) => {
        const t = (c.type ?? pgTypeToField(typeOf(c.column).data_type)) as FieldType;
        return normalize(get(c), t, NS, c.norms as never);
      });
      if (spec.parent_column) v.push(parent == null ? null : pgSide ? String(parent) : mapLegacyKey(parent, NS));
      return v;
    };
    const malformed = (where: string) => say('malformed', where, '(entry)');
    for await (const { value, parentKey } of streamEntity(data, spec.name, ws, undefined, malformed)) {
      // a legacy key unique only within its parent is mapped with the parent's key as namespace
      const scope = entity.key_scope === 'parent' ? mapLegacyKey(parentKey, NS) : NS;
      const k = mapLegacyKey(value[entity.key], scope);
      json.set(k, [...(json.get(k) ?? []), values((c) => value[c.f], parentKey, false)]);
    }
    const ts = (c: string) =>
      `CASE WHEN isfinite(${c}) THEN to_char(${c}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') ELSE ${c}::text END AS ${c}`;
    const sel = cols.map((c) => (typeOf(c.column).data_type.startsWith('timestamp') ? ts(c.column) : c.column));
    const rows = await db.query(
      `SET TIME ZONE 'UTC'; SELECT id::text AS __key, created_at > now() - interval '1 hour' AS __new, ` +
        `${[...sel.map((s) => (s.includes(' AS ') ? s : `${s}::text AS ${s}`)), spec.parent_column ? `${spec.parent_column}::text AS __parent` : 'null AS __parent'].join(', ')} ` +
        `FROM ${entity.table}`,
    );
    const pg = new Map<string, Array<string | null>>();
    for (const r of (rows as unknown as Array<{ rows: Array<Record<string, unknown>> }>)[1].rows) {
      if (spec.as_of_column && r.__new === true) continue;
      const vals = cols.map((c) => {
        const raw = r[c.column];
        const t = (c.type ?? pgTypeToField(typeOf(c.column).data_type)) as FieldType;
        // what node-postgres hands over for these types
        const typed =
          t === 'number' && raw !== null ? Number(raw) : t === 'boolean' && raw !== null ? raw === 'true' : raw;
        return normalize(typed, t, NS, c.norms as never);
      });
      if (spec.parent_column) vals.push(r.__parent === null ? null : String(r.__parent));
      pg.set(String(r.__key), vals);
    }
    for (const [k, recs] of json) {
      const p = pg.get(k);
      // a duplicated id whose row equals one of its copies: the others were not kept (noted, not discrepancies)
      if (recs.length > 1 && p && recs.some((r) => r.every((x, i) => x === p[i]))) {
        for (let i = 1; i < recs.length; i++) say('duplicate-not-kept', k, '(row)');
        continue;
      }
      for (let i = 1; i < recs.length; i++) say('duplicate', k, '(row)');
      if (!p) {
        say('missing', k, '(row)');
        continue;
      }
      // which copy of a duplicated key is compared field by field is not specified: its
      // differences are left out of both sides of this test (its duplicates are not)
      if (recs.length > 1) continue;
      const j = recs[0];
      if (j.every((x, i) => x === p[i])) continue;
      const labels = [...cols.map((c) => c.f), ...(spec.parent_column ? [spec.parent_column] : [])];
      labels.forEach((label, i) => {
        if (j[i] === p[i]) return;
        const column = i < cols.length ? cols[i].column : spec.parent_column!;
        const hasDefault = typeOf(column).column_default !== null;
        const c = cols[i];
        const t = c && ((c.type ?? pgTypeToField(typeOf(c.column).data_type)) as FieldType);
        const declared = c?.dflt !== undefined && j[i] === null && normalize(c.dflt, t, NS) === p[i];
        say(
          declared
            ? 'default-as-declared'
            : j[i] === null && p[i] !== null && hasDefault
              ? 'default-filled'
              : 'differs',
          k,
          label,
        );
      });
    }
    for (const k of pg.keys()) if (!json.has(k)) say('extra', k, '(row)');
  }
  return out;
}

/** every entity's numbers, in the order of the specs: the JSON records each one counted */
let counted: number[] = [];
/** and whether each table was read while its file was parsed */
let early: boolean[] = [];

type FastOptions = { serverHash: boolean; sortBudget: number; early?: 'always' | 'never' };

async function fast(opts: FastOptions, baseDir = ws, compared = specs): Promise<Set<string>> {
  const connectionDefs = { main: { kind: 'postgres' as const, url: db.url } };
  const connections = new ConnectionManager(connectionDefs);
  const diffs: Diff[] = [];
  try {
    const ctx = {
      connections,
      connectionDefs,
      data,
      baseDir,
      signal: new AbortController().signal,
      timeoutMs: 60_000,
      redactor: new Redactor(),
      baselines: {},
    };
    const stats = await validateAll(compared, ctx, {
      ns: NS,
      maxExamples: 5,
      contains: false,
      emit: (d) => diffs.push(d),
      ...opts,
    });
    counted = stats.map((x) => x.json);
    early = stats.map((x) => x.readEarly);
  } finally {
    await connections.close();
  }
  const set = new Set<string>();
  const duplicated = new Set(diffs.filter((d) => d.kind === 'duplicate').map((d) => `${d.entity} ${d.key}`));
  for (const d of diffs) {
    if (d.kind === 'new-since-read') continue;
    if ((d.kind === 'differs' || d.kind === 'default-filled') && duplicated.has(`${d.entity} ${d.key}`)) continue;
    set.add(`${d.entity} ${d.kind} ${d.key} ${d.field}`);
  }
  return set;
}

describe('data.validate: the fast path names what a straightforward comparison names', () => {
  it('with server-side hashes and a sort that spills every few pairs, and with neither', async () => {
    const want = await reference();
    // the store's planted oddities and the changes above are all there
    expect([...want].some((x) => x.startsWith('users duplicate'))).toBe(true);
    expect([...want].some((x) => x.startsWith('users missing'))).toBe(true);
    expect([...want].some((x) => x.startsWith('users extra 00000000-0000-4000-8000-00000000abcd'))).toBe(true);
    expect([...want].some((x) => x.startsWith('users default-filled') && x.endsWith('createdAt'))).toBe(true);
    expect([...want].some((x) => x.startsWith('users differs') && x.endsWith(' name'))).toBe(true);
    // year 10000 and infinity: hashed here, not by the server
    expect([...want].filter((x) => x.startsWith('users ') && x.endsWith(' updatedAt'))).toHaveLength(2);
    expect([...want].some((x) => x.startsWith('milestones differs') && x.endsWith(' title'))).toBe(true);
    expect(want.has('tasks missing 00000000-0000-4000-8000-00000000beef (row)')).toBe(true);
    const infinityKey = mapLegacyKey('nfc', NS);
    expect([...want].filter((x) => x.startsWith('users ') && x.includes(infinityKey))).toEqual([]);
    const got = await fast({ serverHash: true, sortBudget: 3, early: 'never' });
    expect([...got].sort()).toEqual([...want].sort());
    // the numbers come back in the order of the specs, whatever order the tables were compared in
    const records = await Promise.all(specs.map((x) => countEntity(data, x.name, ws)));
    expect(records[specs.findIndex((x) => x.name === 'tasks')]).toBeGreaterThan(
      records[specs.findIndex((x) => x.name === 'projects')],
    );
    expect(counted).toEqual(records);
    const plain = await fast({ serverHash: false, sortBudget: 1_000_000 });
    expect([...plain].sort()).toEqual([...want].sort());
  });

  it('with every query begun while its file is parsed, and given up for a file written while it was read', async () => {
    const want = await reference();
    // files as a store leaves them: last written an hour before the read
    const files = ['users.json', 'projects.json'].map((f) => join(ws, f));
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const f of files) utimesSync(f, hourAgo, hourAgo);
    const got = await fast({ serverHash: true, sortBudget: 3, early: 'always' });
    expect([...got].sort()).toEqual([...want].sort());
    expect(early).toEqual(specs.map(() => true));
    // a file whose content may be from any moment of its read: the snapshot begun early may be
    // too early for it, and each table is read again after the parse
    const now = new Date();
    for (const f of files) utimesSync(f, now, now);
    const again = await fast({ serverHash: true, sortBudget: 1_000_000, early: 'always' });
    expect([...again].sort()).toEqual([...want].sort());
    expect(early).toEqual(specs.map(() => false));
  });

  it('a file that breaks off after its queries were begun ends the comparison with its error, and lets go of them', async () => {
    // projects.json: its three tables' queries begin (two at once, the third waits for a place)
    // while a long file is parsed, and the file ends in the middle of a record
    const dir = tempDir();
    const project = (i: number) => ({
      id: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
      name: `p${i}`,
      tasks: [{ id: `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`, title: 't' }],
      milestones: [{ id: `00000000-0000-4000-b000-${String(i).padStart(12, '0')}`, title: 'm' }],
    });
    const text = JSON.stringify({ projects: Array.from({ length: 60_000 }, (_, i) => project(i)) });
    writeFileSync(join(dir, 'projects.json'), text.slice(0, -200));
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(dir, 'projects.json'), hourAgo, hourAgo);
    const ofProjects = specs.filter((x) => x.name !== 'users');
    const outcome = await Promise.race([
      fast({ serverHash: true, sortBudget: 1_000_000, early: 'always' }, dir, ofProjects).then(
        () => 'passed',
        (e: Error) => e.message,
      ),
      new Promise((r) => setTimeout(() => r('still running after 20 s'), 20_000)),
    ]);
    expect(outcome).toMatch(/projects\.json/);
  }, 30_000);
});
