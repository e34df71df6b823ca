// waymark demo: a real Flux Studio on JSON files, a real PostgreSQL, and the TUI on
// runbook.yaml pointed at them. Quitting (also Ctrl-C) stops the app and the database.
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { ParsedArgs } from './args.js';
import { parseArgs, type CommandSpec } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { loadRunbook } from '../load/loader.js';
import { stateDir } from '../state/paths.js';
import { acquireLock, alive, LockError, readLock, type Lock } from '../state/lock.js';
import { operatorName } from '../state/operator.js';
import { StateStore } from '../state/store.js';
import { runPathsFor, sessionOptions } from './common.js';
import { chooseMode } from './interactive.js';
import {
  APP_DIR,
  RUNBOOK,
  DEMO_FINGERPRINT,
  demoLayout,
  demoPorts,
  prepareWorkspace,
  demoVars,
  stopLeftoverPostgres,
  removeDemo,
  demoStateUrl,
  ensureStateDatabase,
  portFree,
  type DemoConfig,
  type DemoLayout,
} from '../demo/setup.js';
import type { RunPaths } from '../state/paths.js';
import { readFileSync } from 'node:fs';

/** Commands that can look at the demo's run without starting it: `waymark demo status`. */
const PASSTHROUGH = new Set([
  'status',
  'audit',
  'report',
  'verify',
  'plan',
  'rollback',
  'check',
  'key',
  'reopen',
  'approve',
  'repair',
  'probe',
  'runs',
  'state',
]);

export async function demoCommand(a: ParsedArgs, commands: Record<string, CommandSpec>): Promise<number> {
  const dir = stateDir(a.flags['state-dir'] as string | undefined);
  const layout = demoLayout(dir);
  const sub = a.positional[0];
  if (sub) {
    if (!PASSTHROUGH.has(sub))
      throw new UsageError(`waymark demo ${sub}: unknown; use one of ${[...PASSTHROUGH].join(', ')}`);
    return passthrough(sub, a, layout, commands);
  }
  // One demo per state folder, decided before anything is touched: a second one used to stop
  // the first one's PostgreSQL and app and rewrite its ports before the run's own lock refused it.
  // A second operator in another terminal follows the running one instead (read-only; A approves).
  const holder = readLock(demoLockFile(layout));
  if (holder && alive(holder) && !a.flags.reset && chooseMode(a.flags).interactive) return followDemo(a, layout);
  const demoLock = takeDemoLock(layout, a);
  try {
    return await demo(a, layout, demoLock);
  } finally {
    demoLock.release();
  }
}

/** beside the demo's folder, not in it: --reset removes that folder */
const demoLockFile = (layout: DemoLayout) => join(dirname(layout.dir), 'demo.lock');

/**
 * Another operator's view of the demo that runs now: the same run, read-only, followed live;
 * they approve a sign-off with A (their own key), and the running demo takes it in.
 */
async function followDemo(a: ParsedArgs, layout: DemoLayout): Promise<number> {
  await demoEnvironment(layout);
  const args: ParsedArgs = { ...a, flags: { ...a.flags, runbook: RUNBOOK }, fingerprint: DEMO_FINGERPRINT };
  const { runTui } = await import('../screens/run-tui.js');
  return runTui(loadRunbook(RUNBOOK), { ...sessionOptions(args, true), follow: true, noProbes: true });
}

/** The running (or last) demo's vars and, for a shared run, its state database: what its commands see. */
async function demoEnvironment(layout: DemoLayout): Promise<{ cfg: DemoConfig; password: string }> {
  const { readEnvFile } = await import('../runbook/template.js');
  let cfg: DemoConfig;
  try {
    cfg = JSON.parse(readFileSync(layout.configFile, 'utf8')) as DemoConfig;
  } catch {
    throw new UsageError('there is no demo yet: run `waymark demo` first');
  }
  const password = readEnvFile(layout.envFile).DB_PASSWORD ?? '';
  Object.assign(process.env, demoVars(layout, cfg, password));
  if (cfg.sharedState) process.env.WAYMARK_STATE_URL = demoStateUrl(cfg, password);
  return { cfg, password };
}

function takeDemoLock(layout: DemoLayout, a: ParsedArgs): Lock {
  try {
    return acquireLock(demoLockFile(layout), operatorName(a.flags.operator as string | undefined));
  } catch (e) {
    if (!(e instanceof LockError)) throw e;
    const h = e.holder;
    throw new UsageError(
      `a demo is already running on this state folder: ${h.operator} on ${h.host} (pid ${h.pid}) since ${h.since}; ` +
        'in a terminal, `npm run demo -- --operator NAME` follows it as another operator (read-only, A approves); ' +
        'to start another, quit it first (q in its TUI), or give this one another --state-dir',
    );
  }
}

async function demo(a: ParsedArgs, layout: DemoLayout, demoLock: Lock): Promise<number> {
  if (demoLock.tookOverFrom)
    process.stderr.write(`  a demo killed earlier (pid ${demoLock.tookOverFrom.pid}) left its lock: taken over\n`);
  if (a.flags.reset) await resetDemo(a, layout);

  const say = (s: string) => process.stderr.write(`${s}\n`);
  say('Waymark demo: Flux Studio on JSON files, migrating to PostgreSQL');
  // a postgres left by a killed demo still holds the saved port: stop it first
  await stopLeftoverPostgres(layout);
  const ports = await demoPorts(layout, !!a.flags['shared-state']);
  const { startEmbedded } = await import('../pg/embedded.js');
  const ws = prepareWorkspace(layout, ports);
  const server = await startEmbedded({
    dataDir: layout.pgData,
    port: ports.pgPort,
    password: ws.password,
    stage: (s) => say(`  ${s}`),
  });
  Object.assign(process.env, demoVars(layout, ports, ws.password));
  if (ports.sharedState) {
    await ensureStateDatabase(ports, ws.password);
    process.env.WAYMARK_STATE_URL = demoStateUrl(ports, ws.password);
    say(`  the run's state: in the demo's PostgreSQL (database waymark_state), as a team keeps it`);
  }
  let stopped = false;
  let load: ReturnType<typeof startLoad> | undefined;
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    if (load) say(await load.stop());
    appCtl('stop');
    await server.stop().catch(() => {});
  };
  // Once the run has started, it handles SIGTERM/SIGHUP itself (stops the running
  // step, records it, releases the locks) and returns; `finally` then stops the demo.
  // Exiting here at once would leave the run's locks behind.
  let running = false;
  const onSignal = () => {
    if (running) return;
    void stopAll().finally(() => process.exit(130));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    const t0 = Date.now();
    say(`  starting the Flux Studio app`);
    appCtl('restart'); // a leftover app from a killed demo may hold old settings
    say(
      `  Flux Studio app on http://127.0.0.1:${ports.appPort} in ${Date.now() - t0} ms ` +
        `(workspace ${layout.workspace}${ws.created ? ', sample data created' : ''})`,
    );
    if (a.flags.load) {
      const rate = Number(a.flags.load);
      if (!(rate > 0)) throw new UsageError('--load takes signups per second, e.g. --load 50');
      load = startLoad(rate);
      say(`  load: ${rate} signups/s and a read every 100 ms until the demo stops`);
    }
    return await walkDemo(a, say, () => (running = true));
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    await stopAll();
    say('Waymark demo stopped: the app and PostgreSQL are down; run `npm run demo` again to resume.');
  }
}

/** The app's control script (start, stop, restart); what fails shows in the runbook's health checks. */
function appCtl(cmd: string): void {
  try {
    execFileSync(process.execPath, [join(APP_DIR, 'app-control.js'), cmd], {
      stdio: 'ignore',
      env: process.env,
      timeout: 20_000,
    });
  } catch {
    /* reported by the runbook's health checks */
  }
}

/** The demo's run, in the TUI or plain: its own database, so the run is started there without asking. */
async function walkDemo(a: ParsedArgs, say: (s: string) => void, started: () => void): Promise<number> {
  const args: ParsedArgs = {
    ...a,
    flags: { ...a.flags, runbook: RUNBOOK, 'new-run': true },
    fingerprint: DEMO_FINGERPRINT,
  };
  const lr = loadRunbook(RUNBOOK);
  const mode = chooseMode(a.flags);
  if (mode.interactive) {
    const { runTui } = await import('../screens/run-tui.js');
    started();
    return runTui(lr, sessionOptions(args));
  }
  if (mode.notice) say(mode.notice);
  const { runPlain } = await import('./run.js');
  started();
  return runPlain(args, lr);
}

async function resetDemo(a: ParsedArgs, layout: DemoLayout): Promise<void> {
  const lr = loadRunbook(RUNBOOK);
  const paths = runPathsFor({ ...a, fingerprint: DEMO_FINGERPRINT }, lr);
  try {
    execFileSync(process.execPath, [join(APP_DIR, 'app-control.js'), 'stop'], {
      stdio: 'ignore',
      env: { ...process.env, ENV_FILE: layout.envFile },
    });
  } catch {
    /* not running */
  }
  await stopLeftoverPostgres(layout);
  const archived =
    (await exportShared(layout, paths)) ?? new StateStore(paths.state).archive(paths.archive, [paths.audit]);
  removeDemo(layout);
  process.stderr.write(
    `demo reset: database and workspace removed${archived ? `; the previous run was archived to ${archived}` : ''}\n`,
  );
}

/**
 * A run kept in the demo's own PostgreSQL goes with it on --reset: it is moved into the state
 * folder's archive first, with its whole log (state export), so no run is ever lost.
 */
async function exportShared(layout: DemoLayout, paths: RunPaths): Promise<string | undefined> {
  let cfg: DemoConfig;
  try {
    cfg = JSON.parse(readFileSync(layout.configFile, 'utf8')) as DemoConfig;
  } catch {
    return undefined;
  }
  if (!cfg.sharedState) return undefined;
  const { readEnvFile } = await import('../runbook/template.js');
  const password = readEnvFile(layout.envFile).DB_PASSWORD ?? '';
  const { startEmbedded } = await import('../pg/embedded.js');
  const server = await startEmbedded({ dataDir: layout.pgData, port: cfg.pgPort, password, stage: () => undefined });
  try {
    const { moveToFolder } = await import('../state/run-transfer.js');
    const moved = moveToFolder(demoStateUrl(cfg, password), paths, operatorName(undefined));
    if (moved) process.stdout.write(`${moved}\n`);
    return moved ? new StateStore(paths.state).archive(paths.archive, [paths.audit]) : undefined;
  } finally {
    await server.stop().catch(() => {});
  }
}

async function passthrough(
  sub: string,
  a: ParsedArgs,
  layout: DemoLayout,
  commands: Record<string, CommandSpec>,
): Promise<number> {
  const { cfg, password } = await demoEnvironment(layout);
  const spec = commands[sub];
  const rest = a.positional.slice(1);
  const flags = Object.entries(a.flags).flatMap(([k, v]) =>
    k === 'state-dir' || k === 'runbook' ? [] : v === true ? [`--${k}`] : [`--${k}`, String(v)],
  );
  const parsed = parseArgs([...rest, ...flags], spec.flags);
  parsed.flags.runbook = RUNBOOK;
  if (a.flags['state-dir']) parsed.flags['state-dir'] = a.flags['state-dir'];
  const go = () => spec.run({ ...parsed, fingerprint: DEMO_FINGERPRINT }, commands);
  if (!cfg.sharedState) return go();
  // the run lives in the demo's PostgreSQL: when the demo is not running, it is started for this command
  if (!(await portFree(cfg.pgPort))) return go();
  await stopLeftoverPostgres(layout);
  const { startEmbedded } = await import('../pg/embedded.js');
  const server = await startEmbedded({ dataDir: layout.pgData, port: cfg.pgPort, password, stage: () => undefined });
  try {
    return await go();
  } finally {
    await server.stop().catch(() => {});
  }
}

/** The demo's load generator, running beside the walk; stop() ends it and returns its summary. */
function startLoad(rate: number) {
  const child = spawn(
    process.execPath,
    [join(APP_DIR, 'tools/load.js'), '--rate', String(rate), '--seconds', '86400'],
    { env: process.env, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return {
    stop: () =>
      new Promise<string>((resolve) => {
        child.once('close', () =>
          resolve(
            `  load: ${out.trim().split('\n').slice(0, 2).join('; ')}\n  load summary: ` +
              `${out.trim().split('\n').pop() ?? ''}`,
          ),
        );
        child.kill('SIGTERM');
      }),
  };
}
