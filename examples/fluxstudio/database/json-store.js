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

let chain = Promise.resolve();
function serial(fn, file) {
  const run = () => withFileLock(file, fn);
  const next = chain.then(run, run);
  chain = next.catch(() => {});
  return next;
}

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
    serial(async () => {
      const users = await readJson(USERS_FILE, 'users');
      if (users.some((u) => u.email === user.email)) throw Object.assign(new Error('email already registered'), { status: 409 });
      users.push(user);
      await writeJsonAtomic(USERS_FILE, 'users', users);
    }, USERS_FILE),
  addProject: (project) =>
    serial(async () => {
      const projects = await readJson(PROJECTS_FILE, 'projects');
      projects.push({ tasks: [], milestones: [], ...project });
      await writeJsonAtomic(PROJECTS_FILE, 'projects', projects);
    }, PROJECTS_FILE),
  addTask: (projectId, task) =>
    serial(async () => {
      const projects = await readJson(PROJECTS_FILE, 'projects');
      const p = projects.find((x) => String(x.id) === String(projectId));
      if (!p) throw Object.assign(new Error('project not found'), { status: 404 });
      (p.tasks ??= []).push(task);
      await writeJsonAtomic(PROJECTS_FILE, 'projects', projects);
    }, PROJECTS_FILE),
};
