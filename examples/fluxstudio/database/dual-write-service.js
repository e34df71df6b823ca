// The dual-write service: reads from JSON or PostgreSQL (USE_POSTGRES), writes to
// both when DUAL_WRITE_ENABLED. While reads are on JSON, JSON is the source of truth:
// a PostgreSQL write that fails is logged and queued on disk for retry, never dropped.
import { randomUUID, scrypt, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

// Hashing off the event loop (scryptSync held every other request for ~40 ms), but never on
// every thread of libuv's pool: file reads, writes and fsyncs queue on the same 4 threads, and
// behind a backlog of hashes a JSON write waited seconds (measured: 8 s at 50 signups/s on a
// busy machine). Two hashes at a time; the rest wait here, in order, leaving threads for I/O.
const scryptAsync = promisify(scrypt);
// The cost is N = 2^SCRYPT_LOG2_N (default 14, node's default, ~35 ms a hash here) and is kept
// in the hash, so it can be raised later. 50 signups/s at 2^14 is 1.8 cores of hashing alone:
// the demo, whose 2-core laptop also runs PostgreSQL, Waymark and the load generator, sets 12.
const LOG2_N = Math.min(Math.max(Number(process.env.SCRYPT_LOG2_N) || 14, 10), 20);
const HASHES_AT_ONCE = 2;
let hashing = 0;
const waiting = [];
async function hash(password, salt) {
  if (hashing >= HASHES_AT_ONCE) await new Promise((r) => waiting.push(r));
  else hashing++;
  try {
    return await scryptAsync(password, salt, 32, { N: 2 ** LOG2_N, maxmem: 256 * 2 ** LOG2_N * 8 });
  } finally {
    const next = waiting.shift();
    if (next) next();
    else hashing--;
  }
}
import { appendFileSync, existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_DIR, flag } from './config.js';
import { jsonStore } from './json-store.js';
import { pgStore } from './pg-store.js';

const QUEUE_FILE = join(RUN_DIR, 'pending-postgres-writes.jsonl');

export class DualWriteService {
  constructor(pool, log = console.log) {
    this.usePostgres = flag('USE_POSTGRES');
    this.dualWrite = flag('DUAL_WRITE_ENABLED');
    this.pool = pool;
    this.pg = pool ? pgStore(pool, log) : null;
    this.log = log;
    this.retrying = false;
  }

  describe() {
    return { reads: this.usePostgres ? 'postgres' : 'json', writes: this.usePostgres ? (this.dualWrite ? 'postgres+json' : 'postgres') : this.dualWrite ? 'json+postgres' : 'json' };
  }

  pending() {
    if (!existsSync(QUEUE_FILE)) return [];
    return readFileSync(QUEUE_FILE, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }

  async write(kind, label, record, jsonWrite, pgWrite) {
    if (this.usePostgres) {
      // PostgreSQL is the source of truth: its failure fails the request.
      await pgWrite();
      this.log(`✅ ${label} created in PostgreSQL`);
      if (this.dualWrite) {
        await jsonWrite();
        this.log(`✅ ${label} created in JSON`);
      }
      return;
    }
    await jsonWrite();
    this.log(`✅ ${label} created in JSON`);
    if (!this.dualWrite) return;
    try {
      await pgWrite();
      this.log(`✅ ${label} created in PostgreSQL`);
    } catch (e) {
      appendFileSync(QUEUE_FILE, JSON.stringify({ kind, record, at: new Date().toISOString(), error: e.message }) + '\n');
      this.log(`⚠️ ${label} not written to PostgreSQL (${e.message}); queued for retry`);
    }
  }

  async createUser({ email, name, password }) {
    if (!email || !name) throw Object.assign(new Error('email and name are required'), { status: 400 });
    const existing = this.usePostgres ? await this.pg.findUserByEmail(email) : (await jsonStore.users()).find((u) => u.email === email);
    if (existing) throw Object.assign(new Error('email already registered'), { status: 409 });
    const salt = randomBytes(8).toString('hex');
    // both stores get the same values: a PostgreSQL column default never fills what JSON lacks
    const now = new Date().toISOString();
    const user = { id: randomUUID(), email, name, role: 'user', passwordHash: password ? `scrypt$${LOG2_N}$${salt}$${(await hash(password, salt)).toString('hex')}` : null, createdAt: now, updatedAt: now };
    await this.write('user', 'User', user, () => jsonStore.addUser(user), () => this.pg.insertUser(user));
    const { passwordHash: _drop, ...visible } = user;
    return visible;
  }

  async createProject({ name, description, ownerId }) {
    if (!name) throw Object.assign(new Error('name is required'), { status: 400 });
    const now = new Date().toISOString();
    const project = { id: randomUUID(), name, description: description ?? null, status: 'active', ownerId: ownerId ?? null, createdAt: now, updatedAt: now, tasks: [], milestones: [] };
    await this.write('project', 'Project', project, () => jsonStore.addProject(project), () => this.pg.insertProject(project));
    return project;
  }

  async createTask(projectId, { title, priority, dueDate }) {
    if (!title) throw Object.assign(new Error('title is required'), { status: 400 });
    const task = { id: randomUUID(), title, status: 'todo', priority: Number(priority ?? 3), dueDate: dueDate ?? null, createdAt: new Date().toISOString() };
    await this.write('task', 'Task', { projectId, task }, () => jsonStore.addTask(projectId, task), () => this.pg.insertTask(projectId, task));
    return task;
  }

  async users() {
    if (this.usePostgres) {
      this.log('📖 Reading users from PostgreSQL');
      return this.pg.users();
    }
    return (await jsonStore.users()).map(({ passwordHash: _p, ...u }) => u);
  }

  async projects() {
    if (this.usePostgres) {
      this.log('📖 Reading projects from PostgreSQL');
      return this.pg.projects();
    }
    return jsonStore.projects();
  }

  /** Replays queued PostgreSQL writes; what still fails stays queued. */
  async retryPending() {
    if (this.retrying || !this.pg) return 0;
    const items = this.pending();
    if (!items.length) return 0;
    this.retrying = true;
    const left = [];
    let done = 0;
    try {
      for (const it of items) {
        try {
          if (it.kind === 'user') await this.pg.insertUser(it.record);
          else if (it.kind === 'project') await this.pg.insertProject(it.record);
          else if (it.kind === 'task') await this.pg.insertTask(it.record.projectId, it.record.task);
          done++;
          this.log(`✅ Retried ${it.kind} write to PostgreSQL`);
        } catch (e) {
          left.push({ ...it, error: e.message });
        }
      }
      // Writes queued while we retried are kept too.
      const fresh = this.pending().slice(items.length);
      const tmp = `${QUEUE_FILE}.tmp`;
      writeFileSync(tmp, [...left, ...fresh].map((x) => JSON.stringify(x) + '\n').join(''));
      renameSync(tmp, QUEUE_FILE);
    } finally {
      this.retrying = false;
    }
    return done;
  }
}
