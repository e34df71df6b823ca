#!/usr/bin/env node
// node generate-data.js [--users N] [--out DIR] [--duplicates N] — sample Flux Studio data:
// users.json and projects.json with nested tasks and milestones. Deterministic
// (seeded), streamed to disk, so --users 1000000 works for benchmarks. --duplicates N appends
// N users again, each edited (another name, a later updatedAt), as a store that appended an edit
// instead of replacing the record holds them: the migration asks which copy to keep.
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const users = Number(arg('users', 25));
const duplicates = Number(arg('duplicates', 0));
const out = resolve(arg('out', '.'));
if (!Number.isInteger(users) || users < 2) {
  console.error('--users must be a whole number >= 2');
  process.exit(2);
}
if (!Number.isInteger(duplicates) || duplicates < 0 || duplicates > users - 2) {
  console.error(`--duplicates must be a whole number from 0 to ${users - 2} (users 3 onwards are copied)`);
  process.exit(2);
}
mkdirSync(out, { recursive: true });

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (a) => a[Math.floor(rand() * a.length)];
const uuid = (kind, n) => {
  const h = createHash('md5').update(`${kind}:${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
// The oldest records come from the first version of Flux Studio: non-UUID ids.
const legacy = (n) => n <= Math.max(2, Math.floor(users * 0.05));
const userId = (n) => (legacy(n) ? `user_${n}` : uuid('user', n));
const day = (n) => new Date(Date.UTC(2025, 0, 1) + n * 3600_000).toISOString();
const date = (n) => new Date(Date.UTC(2025, 10, 1) + (n % 120) * 86_400_000).toISOString().slice(0, 10);
const first = ['Ada', 'Ben', 'Cleo', 'Dev', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jun', 'Kai', 'Lea'];
const last = ['Moreau', 'Okafor', 'Silva', 'Tanaka', 'Novak', 'Haddad', 'Berg', 'Costa'];

async function writeFile(file, key, count, make) {
  const s = createWriteStream(file);
  const w = (t) => (s.write(t) ? null : new Promise((r) => s.once('drain', r)));
  await w(`{\n  "${key}": [`);
  for (let i = 1; i <= count; i++) await w(`${i > 1 ? ',' : ''}\n    ${JSON.stringify(make(i))}`);
  await w('\n  ]\n}\n');
  await new Promise((r) => s.end(r));
}

const named = { 1: ['jason@fizol.io', 'Jason'], 2: ['test@fluxstudio.art', 'Test'] };
const copied = new Map();
const user = (i) => ({
  id: userId(i),
  email: named[i]?.[0] ?? `user${i}@fluxstudio.art`,
  name: named[i]?.[1] ?? `${pick(first)} ${pick(last)}`,
  role: i === 1 ? 'admin' : 'user',
  createdAt: day(i),
});
await writeFile(join(out, 'users.json'), 'users', users + duplicates, (i) => {
  if (i > users) {
    // an edit appended instead of replacing: the same id (and email), another name, later
    const orig = copied.get(i - users + 2);
    return { ...orig, name: `${orig.name} (renamed)`, updatedAt: day(users * 4 + i) };
  }
  const u = user(i);
  if (i >= 3 && i < 3 + duplicates) copied.set(i, u);
  return u;
});
const projects = Math.max(2, Math.floor(users / 2));
await writeFile(join(out, 'projects.json'), 'projects', projects, (i) => ({
  id: i <= 2 ? `proj_${i}` : uuid('project', i),
  name: i === 1 ? 'Test Project' : `Project ${i}`,
  description: `Sample project ${i}`,
  status: pick(['active', 'active', 'archived']),
  ownerId: userId(((i - 1) % users) + 1),
  createdAt: day(users + i),
  tasks: [1, 2, 3].map((k) => ({ id: i === 1 && k === 1 ? 'task_1' : uuid('task', `${i}.${k}`), title: i === 1 && k === 1 ? 'Setup environment' : `Task ${k} of project ${i}`, status: pick(['todo', 'doing', 'done']), priority: 1 + Math.floor(rand() * 5), dueDate: date(i + k) })),
  milestones: [{ id: i === 1 ? 'ms_1' : uuid('milestone', i), title: i === 1 ? 'Phase 1 Complete' : `Milestone of project ${i}`, completed: rand() < 0.3, dueDate: date(i) }],
}));
console.log(`wrote ${users} users${duplicates ? ` (and ${duplicates} of them again, renamed)` : ''} and ${projects} projects (${projects * 3} tasks, ${projects} milestones) to ${out}`);
