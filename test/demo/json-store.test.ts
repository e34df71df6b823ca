// Flux Studio's JSON store under a burst of writes: every change lands, a duplicate fails
// alone, and changes that arrive together share one rewrite of the file (group commit).
import { describe, it, expect, beforeAll } from 'vitest';
import { writeFileSync, readFileSync, watch } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers/tmp.js';

const STORE = resolve('examples/fluxstudio/database/json-store.js');
let ws: string;
let store: { jsonStore: Record<string, (...a: unknown[]) => Promise<unknown>> };

beforeAll(async () => {
  ws = tempDir();
  writeFileSync(join(ws, '.env'), 'PORT=1\n');
  writeFileSync(join(ws, 'users.json'), JSON.stringify({ users: [{ id: 'u0', email: 'taken@x.io' }] }));
  writeFileSync(join(ws, 'projects.json'), JSON.stringify({ projects: [{ id: 'p1', tasks: [] }] }));
  process.env.ENV_FILE = join(ws, '.env');
  store = await import(STORE);
});

describe('the JSON store', () => {
  it('writes 200 signups that arrive together in a few rewrites, each acknowledged once on disk', async () => {
    // every rewrite of users.json goes through a new temp file: count them as they appear
    const rewrites = new Set<string>();
    const watcher = watch(ws, (_, name) => name?.startsWith('users.json.tmp-') && rewrites.add(name));
    const emails = Array.from({ length: 200 }, (_, i) => `burst${i}@x.io`);
    const results = await Promise.allSettled([
      ...emails.map((email, i) => store.jsonStore.addUser({ id: `b${i}`, email })),
      store.jsonStore.addUser({ id: 'dup', email: 'taken@x.io' }),
    ]);
    expect(results.slice(0, 200).every((r) => r.status === 'fulfilled')).toBe(true);
    const dup = results[200] as PromiseRejectedResult;
    expect(dup.status).toBe('rejected');
    expect(dup.reason).toMatchObject({ status: 409 });
    const onDisk = JSON.parse(readFileSync(join(ws, 'users.json'), 'utf8')).users.map(
      (u: { email: string }) => u.email,
    );
    expect(onDisk).toEqual(['taken@x.io', ...emails]);
    // one rewrite (read, stringify, write, fsync, rename) per signup made the queue grow
    // without end at 50 signups/s on a busy machine
    await new Promise((r) => setTimeout(r, 100));
    watcher.close();
    expect(rewrites.size).toBeGreaterThan(0);
    expect(rewrites.size).toBeLessThanOrEqual(5);
  });

  it('a task for a missing project fails alone; the others in the same write land', async () => {
    const r = await Promise.allSettled([
      store.jsonStore.addTask('p1', { id: 't1' }),
      store.jsonStore.addTask('nope', { id: 't2' }),
      store.jsonStore.addTask('p1', { id: 't3' }),
    ]);
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const p = JSON.parse(readFileSync(join(ws, 'projects.json'), 'utf8')).projects[0];
    expect(p.tasks.map((t: { id: string }) => t.id)).toEqual(['t1', 't3']);
  });
});
