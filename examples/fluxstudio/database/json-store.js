// The JSON file store Flux Studio started with. Writes are serialised, also across
// processes (no lost updates under concurrent requests or a reload), and atomic
// (temp file + fsync + rename).
import { readFile, writeFile, rename, open, unlink } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { USERS_FILE, PROJECTS_FILE } from './config.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};

/**
 * One writer at a time across processes: during a graceful reload the old and the new
 * worker both serve for a moment, and a read-modify-write of a JSON file must not lose
 * the other's record. A lock whose holder died is taken over.
 */
async function withFileLock(file, fn) {
  const lock = `${file}.lock`;
  for (;;) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let holder = 0;
      try {
        holder = Number(readFileSync(lock, 'utf8'));
      } catch {
        /* gone meanwhile */
      }
      if (holder && !alive(holder)) await unlink(lock).catch(() => {});
      else await sleep(2);
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => {});
  }
}

/**
 * Group commit: changes that arrive while a write is under way go into the next write, one
 * read-modify-write of the file for all of them, each answered only once its write is on disk.
 * One rewrite and fsync per change made the queue grow without end at 50 signups/s on a busy
 * machine (11 s per signup, then timeouts); per batch, throughput no longer falls with load.
 * A change that throws (a duplicate email) leaves the records as they were and fails alone.
 */
function committer(file, key) {
  let pending = [];
  let running;
  async function flush() {
    while (pending.length) {
      const batch = pending;
      pending = [];
      try {
        await withFileLock(file, async () => {
          const records = await readJson(file, key);
          const results = batch.map((c) => {
            try {
              return { ok: true, value: c.change(records) };
            } catch (error) {
              return { ok: false, error };
            }
          });
          if (results.some((r) => r.ok)) await writeJsonAtomic(file, key, records);
          batch.forEach((c, i) => (results[i].ok ? c.resolve(results[i].value) : c.reject(results[i].error)));
        });
      } catch (e) {
        for (const c of batch) c.reject(e);
      }
    }
    running = undefined;
  }
  return (change) =>
    new Promise((resolve, reject) => {
      pending.push({ change, resolve, reject });
      running ??= flush();
    });
}

const commitUsers = committer(USERS_FILE, 'users');
const commitProjects = committer(PROJECTS_FILE, 'projects');

export async function readJson(file, key) {
  if (!existsSync(file)) return [];
  const parsed = JSON.parse(await readFile(file, 'utf8'));
  return Array.isArray(parsed) ? parsed : parsed[key] ?? [];
}

export async function writeJsonAtomic(file, key, records) {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, JSON.stringify({ [key]: records }, null, 2) + '\n');
  const fh = await open(tmp, 'r');
  await fh.sync();
  await fh.close();
  await rename(tmp, file);
}

export const jsonStore = {
  users: () => readJson(USERS_FILE, 'users'),
  projects: () => readJson(PROJECTS_FILE, 'projects'),
  addUser: (user) =>
    commitUsers((users) => {
      if (users.some((u) => u.email === user.email)) throw Object.assign(new Error('email already registered'), { status: 409 });
      users.push(user);
    }),
  addProject: (project) => commitProjects((projects) => void projects.push({ tasks: [], milestones: [], ...project })),
  addTask: (projectId, task) =>
    commitProjects((projects) => {
      const p = projects.find((x) => String(x.id) === String(projectId));
      if (!p) throw Object.assign(new Error('project not found'), { status: 404 });
      // some stores keep a project's tasks as an object keyed by id
      if (p.tasks && typeof p.tasks === 'object' && !Array.isArray(p.tasks)) p.tasks[task.id] = task;
      else (p.tasks ??= []).push(task);
    }),
};
