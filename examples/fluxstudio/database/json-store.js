// The JSON file store Flux Studio started with. Writes are serialised (no lost
// updates under concurrent requests) and atomic (temp file + fsync + rename).
import { readFile, writeFile, rename, open } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { USERS_FILE, PROJECTS_FILE } from './config.js';

let chain = Promise.resolve();
function serial(fn) {
  const next = chain.then(fn, fn);
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
    }),
  addProject: (project) =>
    serial(async () => {
      const projects = await readJson(PROJECTS_FILE, 'projects');
      projects.push({ tasks: [], milestones: [], ...project });
      await writeJsonAtomic(PROJECTS_FILE, 'projects', projects);
    }),
  addTask: (projectId, task) =>
    serial(async () => {
      const projects = await readJson(PROJECTS_FILE, 'projects');
      const p = projects.find((x) => String(x.id) === String(projectId));
      if (!p) throw Object.assign(new Error('project not found'), { status: 404 });
      (p.tasks ??= []).push(task);
      await writeJsonAtomic(PROJECTS_FILE, 'projects', projects);
    }),
};
