#!/usr/bin/env node
// node tools/load.js [--rate 50] [--seconds 30] [--read-ms 100] [--url http://127.0.0.1:PORT]
// A steady load on Flux Studio while the migration runs: signups with passwords at --rate
// a second and a read every --read-ms, over keep-alive connections. At the end it prints
// sent / ok / failed by cause, the longest window in which requests failed, and how many
// acknowledged signups are missing from the app's store (and from users.json). Bounded in
// count and time; loopback only. Exit 1 when anything failed or went missing.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_DIR, USERS_FILE } from '../database/config.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const port = (readFileSync(process.env.ENV_FILE ?? join(RUN_DIR, '.env'), 'utf8').match(/^PORT=(\d+)/m) ?? [])[1] ?? '3001';
const url = arg('url', `http://127.0.0.1:${port}`);
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(url)) {
  console.error(`load.js sends traffic to this machine only (127.0.0.0/8, localhost); not to ${url}`);
  process.exit(2);
}
const rate = Math.min(Number(arg('rate', '50')), 500);
const seconds = Math.min(Number(arg('seconds', '30')), 3600);
const readMs = Math.max(Number(arg('read-ms', '100')), 10);
const run = `${Date.now().toString(36)}${process.pid}`;

const stats = { sent: 0, ok: 0, failed: 0, causes: {}, longestFailureMs: 0 };
const acknowledged = [];
let failingSince;
let n = 0;

async function request(path, init) {
  stats.sent++;
  const t0 = Date.now();
  try {
    const r = await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    await r.arrayBuffer();
    if (r.status >= 500 || r.status === 0) throw Object.assign(new Error(`HTTP ${r.status}`), { code: `HTTP ${r.status}` });
    stats.ok++;
    if (failingSince !== undefined) stats.longestFailureMs = Math.max(stats.longestFailureMs, Date.now() - failingSince);
    failingSince = undefined;
    return r;
  } catch (e) {
    stats.failed++;
    // a timeout is a DOMException whose code is a number (23): name it
    const cause = e.name === 'TimeoutError' ? 'timeout' : (e.code ?? e.cause?.code ?? e.message);
    stats.causes[cause] = (stats.causes[cause] ?? 0) + 1;
    failingSince ??= t0;
    return undefined;
  }
}

async function signup() {
  const email = `load-${run}-${n++}@example.com`;
  const r = await request('/api/auth/signup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, name: `Load ${n}`, password: 'correct horse battery staple' }) });
  if (r?.status === 201) acknowledged.push(email);
}

const inflight = new Set();
const track = (p) => {
  inflight.add(p);
  p.finally(() => inflight.delete(p));
};
let end = Date.now() + seconds * 1000;
process.once('SIGTERM', () => (end = 0));
const writes = setInterval(() => Date.now() < end && track(signup()), 1000 / rate);
const reads = setInterval(() => Date.now() < end && track(request('/api/health')), readMs);
// ends at --seconds, or earlier on SIGTERM/SIGINT (the demo stops it with the app), with its summary either way
await new Promise((r) => {
  setTimeout(r, seconds * 1000).unref();
  process.once('SIGTERM', r);
  process.once('SIGINT', r);
});
clearInterval(writes);
clearInterval(reads);
await Promise.all([...inflight]);
if (failingSince !== undefined) stats.longestFailureMs = Math.max(stats.longestFailureMs, Date.now() - failingSince);

// every acknowledged signup must be in the app's store, and in users.json while JSON is written
// the app may still be coming back from a restart (a stop-then-start on a busy machine takes
// seconds): it is asked again until it answers. A store that cannot be read is said as such,
// never counted as every signup missing.
let users;
for (const until = Date.now() + 30_000; users === undefined; ) {
  users = await fetch(`${url}/api/users`, { signal: AbortSignal.timeout(10_000) })
    .then((r) => (r.ok ? r.json() : undefined))
    .catch(() => undefined);
  if (users === undefined && Date.now() > until) break;
  if (users === undefined) await new Promise((r) => setTimeout(r, 250));
}
if (users === undefined) console.error(`load.js: the app did not answer ${url}/api/users within 30 s: its store was not read`);
const inApp = new Set((users ?? []).map((u) => u.email));
const inJson = existsSync(USERS_FILE) ? new Set(JSON.parse(readFileSync(USERS_FILE, 'utf8')).users.map((u) => u.email)) : undefined;
const missing = users === undefined ? null : acknowledged.filter((e) => !inApp.has(e)).length;
const missingJson = inJson ? acknowledged.filter((e) => !inJson.has(e)).length : null;
const summary = { ...stats, acknowledged: acknowledged.length, missing, missingFromJson: missingJson };
console.log(`sent ${stats.sent}, ok ${stats.ok}, failed ${stats.failed}${stats.failed ? ` (${Object.entries(stats.causes).map(([c, k]) => `${c} ${k}`).join(', ')})` : ''}`);
console.log(`longest failure window ${(stats.longestFailureMs / 1000).toFixed(1)} s; ${acknowledged.length} signups acknowledged, ${missing ?? 'unknown (store not read)'} missing from the app${missingJson === null ? '' : `, ${missingJson} from users.json`}`);
console.log(JSON.stringify(summary));
process.exitCode = stats.failed || missing !== 0 ? 1 : 0;
