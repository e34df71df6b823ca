#!/usr/bin/env node
// Starts, stops and reloads the app in the demo, like pm2 in cluster mode: a pid file
// (the cluster primary) and log files next to the env file. `restart` is a graceful reload
// (`pm2 reload`): a new worker serves before the old one drains, no request is refused.
// `restart --stop-start` is the old stop-then-start (`pm2 restart`), which leaves a gap.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, openSync, unlinkSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUN_DIR } from './database/config.js';

const here = dirname(fileURLToPath(import.meta.url));
const PID = join(RUN_DIR, 'app.pid');
const LOG = join(RUN_DIR, 'app.log');
const ERR = join(RUN_DIR, 'app.err.log');

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const pid = () => (existsSync(PID) ? Number(readFileSync(PID, 'utf8')) : 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function stop() {
  const p = pid();
  if (p && alive(p)) {
    process.kill(p, 'SIGTERM');
    for (let i = 0; i < 50 && alive(p); i++) await sleep(100);
    if (alive(p)) process.kill(p, 'SIGKILL');
    console.log(`stopped fluxstudio (pid ${p})`);
  }
  if (existsSync(PID)) unlinkSync(PID);
}

async function start() {
  const p = pid();
  if (p && alive(p)) {
    console.log(`fluxstudio already running (pid ${p})`);
    return;
  }
  const child = spawn(process.execPath, [join(here, 'server.js')], { detached: true, stdio: ['ignore', openSync(LOG, 'a'), openSync(ERR, 'a')], env: process.env });
  child.unref();
  writeFileSync(PID, String(child.pid));
  // Wait for the health endpoint so the next runbook step finds the app up.
  const port = appPort();
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (r.ok) {
        console.log(`started fluxstudio (pid ${child.pid}) on port ${port}: ${JSON.stringify(await r.json())}`);
        return;
      }
    } catch {
      /* not up yet */
    }
    if (!alive(child.pid)) break;
    await sleep(100);
  }
  console.error(`fluxstudio did not come up; see ${ERR}`);
  process.exitCode = 1;
}

function appPort() {
  return (readFileSync(process.env.ENV_FILE ?? join(RUN_DIR, '.env'), 'utf8').match(/^PORT=(\d+)/m) ?? [])[1] ?? process.env.PORT ?? '3001';
}

async function health() {
  const r = await fetch(`http://127.0.0.1:${appPort()}/api/health`, { headers: { connection: 'close' } });
  return r.json();
}

/** SIGHUP to the primary; done when a new worker answers and the old one has gone. */
async function reload() {
  const p = pid();
  if (!p || !alive(p)) return start();
  const before = (await health().catch(() => ({}))).worker;
  if (!before) {
    // an app started by an older app-control runs no cluster: SIGHUP would only end it
    console.log('the running app predates graceful reloads: stopping and starting it (requests are refused meanwhile)');
    await stop();
    return start();
  }
  process.kill(p, 'SIGHUP');
  for (let i = 0; i < 600; i++) {
    await sleep(100);
    const h = await health().catch(() => undefined);
    if (h?.worker && h.worker !== before && !(before && alive(before))) {
      console.log(`reloaded fluxstudio (pid ${p}): worker ${before} → ${h.worker}, no request refused: ${JSON.stringify(h)}`);
      return;
    }
    if (!alive(p)) break;
  }
  console.error(`fluxstudio did not reload (the old worker goes on serving if it was healthy); see ${ERR}`);
  process.exitCode = 1;
}

function tail(file, n) {
  if (!existsSync(file)) return;
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const l of lines.slice(-n)) console.log(l);
}

const [cmd, ...rest] = process.argv.slice(2);
const linesArg = rest.indexOf('--lines');
const n = linesArg >= 0 ? Number(rest[linesArg + 1]) : 100;
switch (cmd) {
  case 'start':
    await start();
    break;
  case 'stop':
    await stop();
    break;
  case 'restart':
    // FLUX_RESTART=stop-start: every restart the old way, to show what the probe then sees
    if (rest.includes('--stop-start') || process.env.FLUX_RESTART === 'stop-start') {
      await stop();
      await start();
    } else await reload();
    break;
  case 'status': {
    const p = pid();
    console.log(p && alive(p) ? `fluxstudio running (pid ${p})` : 'fluxstudio stopped');
    break;
  }
  case 'logs':
    tail(rest.includes('--err') ? ERR : LOG, n);
    break;
  case 'build': {
    const files = ['server.js', 'app-control.js', ...readdirSync(join(here, 'database')).filter((f) => f.endsWith('.js')).map((f) => `database/${f}`)];
    for (const f of files) execFileSync(process.execPath, ['--check', join(here, f)]);
    console.log(`Build complete: ${files.length} files checked`);
    break;
  }
  default:
    console.error('usage: app-control.js start|stop|restart [--stop-start]|status|logs [--err] [--lines N]|build');
    process.exitCode = 2;
}
