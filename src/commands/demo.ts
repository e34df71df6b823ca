// waymark demo: a real Flux Studio on JSON files, a real PostgreSQL, and the TUI on
// runbook.yaml pointed at them. Quitting (also Ctrl-C) stops the app and the database.
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
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
  DEMO_ENVIRONMENTS,
  demoFingerprint,
  demoLayout,
  demoPorts,
  prepareWorkspace,
  demoVars,
  demoPassword,
  newPassword,
  readDemoConfig,
  saveDemoConfig,
  stopLeftoverPostgres,
  removeDemo,
  demoStateUrl,
  ensureStateDatabase,
  portFree,
  writeDemoTrustFile,
  appPortOf,
  type DemoConfig,
  type DemoEnvironment,
  type DemoLayout,
} from '../demo/setup.js';
import type { RunPaths } from '../state/paths.js';
import type { LoadedRunbook } from '../load/loader.js';
import { DEFAULT_PORT } from './serve.js';

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
  'watch',
  'serve',
]);

export async function demoCommand(a: ParsedArgs, commands: Record<string, CommandSpec>): Promise<number> {
  const dir = stateDir(a.flags['state-dir'] as string | undefined);
  const layout = demoLayout(dir, environmentOfDemo(a, dir));
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

/**
 * The environment a demo command is of: --env (or WAYMARK_ENV), else the one the demo walked last
 * (a resumed demo resumes that run), else staging: the demo walks staging first.
 */
function environmentOfDemo(a: ParsedArgs, dir: string): DemoEnvironment {
  const named = (a.flags.env as string | undefined) ?? (process.env.WAYMARK_ENV?.trim() || undefined);
  // --reset begins the demo again, from staging
  if (!named) return (!a.flags.reset && readDemoConfig(demoLayout(dir))?.environment) || 'staging';
  const known = DEMO_ENVIRONMENTS as readonly string[];
  if (!known.includes(named))
    throw new UsageError(`--env ${named}: the demo's environments are ${DEMO_ENVIRONMENTS.join(' and ')}`);
  return named as DemoEnvironment;
}

/**
 * The demo's runbook in the layout's environment, and the flags its commands take to work on that
 * run: runbook.yaml, or the one --runbook names (runbook.md walks it the same), else the one walked last.
 */
function demoRun(a: ParsedArgs, layout: DemoLayout, extra: Record<string, string | boolean> = {}) {
  const named = a.flags.runbook as string | undefined;
  const file = named ? resolve(named) : (readDemoConfig(layout)?.runbook ?? RUNBOOK);
  const flags: ParsedArgs['flags'] = { ...a.flags, runbook: file, env: layout.environment, ...extra };
  // the demo's trust file unless one is named: its production run is promoted on it, its reports verified
  if (!flags['allowed-signers']) flags['allowed-signers'] = layout.trustFile;
  const args: ParsedArgs = { ...a, flags, fingerprint: demoFingerprint(layout.environment) };
  return { args, file, load: (): LoadedRunbook => loadRunbook(file, { environment: layout.environment }) };
}

/** beside the demo's folder, not in it: --reset removes that folder */
const demoLockFile = (layout: DemoLayout) => join(dirname(layout.dir), 'demo.lock');

/**
 * Another operator's view of the demo that runs now: the same run, read-only, followed live;
 * they approve a sign-off with A (their own key), and the running demo takes it in.
 */
async function followDemo(a: ParsedArgs, layout: DemoLayout): Promise<number> {
  await demoEnvironment(layout);
  const { args, load } = demoRun(a, layout);
  const { runTui } = await import('../screens/run-tui.js');
  return runTui(load(), { ...sessionOptions(args, true), follow: true, noProbes: true });
}

/** The running (or last) demo's vars and, for a shared run, its state database: what its commands see. */
async function demoEnvironment(layout: DemoLayout): Promise<{ cfg: DemoConfig; password: string }> {
  const cfg = readDemoConfig(layout);
  if (!cfg) throw new UsageError('there is no demo yet: run `waymark demo` first');
  const password = demoPassword(dirname(layout.dir)) ?? '';
  writeDemoTrustFile(layout, dirname(layout.dir));
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
  const stateFolder = dirname(layout.dir);
  const password = demoPassword(stateFolder) ?? newPassword();
  // production first: staging's JSON files are a copy of production's
  const made = [...DEMO_ENVIRONMENTS]
    .reverse()
    .filter((e) => prepareWorkspace(demoLayout(stateFolder, e), ports, password).created);
  const server = await startEmbedded({
    dataDir: layout.pgData,
    port: ports.pgPort,
    password,
    stage: (s) => say(`  ${s}`),
  });
  writeDemoTrustFile(layout, stateFolder);
  Object.assign(process.env, demoVars(layout, ports, password));
  if (ports.sharedState) {
    await ensureStateDatabase(ports, password);
    process.env.WAYMARK_STATE_URL = demoStateUrl(ports, password);
    say(`  the run's state: in the demo's PostgreSQL (database waymark_state), as a team keeps it`);
  }
  let stopped = false;
  let walked = false;
  let load: ReturnType<typeof startLoad> | undefined;
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    if (load) say(await load.stop());
    for (const e of DEMO_ENVIRONMENTS) appCtl('stop', demoVars(demoLayout(stateFolder, e), ports, password));
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
    startApps(stateFolder, ports, password, made, say);
    say(`  walking ${walkNote(layout.environment)}\n  ${FOLLOW}`);
    if (a.flags.load) {
      const rate = Number(a.flags.load);
      if (!(rate > 0)) throw new UsageError('--load takes signups per second, e.g. --load 50');
      load = startLoad(rate);
      say(`  load: ${rate} signups/s and a read every 100 ms until the demo stops`);
    }
    const code = await walkDemo(a, layout, say, () => (running = true)).catch((e: unknown) => {
      if ((e as { refused?: boolean }).refused) say('  walk staging first: `npm run demo -- --env staging`');
      throw e;
    });
    // the environment walked is the one the next `npm run demo` resumes; a run refused (production
    // before staging is signed off) leaves it as it was
    saveDemoConfig(layout, { ...ports, environment: layout.environment, runbook: demoRun(a, layout).file });
    walked = true;
    return code;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    const done = walked && layout.environment === 'staging' && (await stagingSignedOff(a, layout));
    await stopAll();
    say(
      `Waymark demo stopped: the app and PostgreSQL are down${walked ? '; run `npm run demo` again to resume' : ''}.`,
    );
    if (done)
      say('  staging is signed off in full: `npm run demo -- --env production` walks production, promoted from it.');
  }
}

/** Whether the staging run just walked has every phase signed off (read from its state, nothing taken). */
async function stagingSignedOff(a: ParsedArgs, layout: DemoLayout): Promise<boolean> {
  try {
    const { args, load } = demoRun(a, layout);
    const lr = load();
    const { Session } = await import('../phases/session.js');
    const { approvalsMissing, phaseState } = await import('../phases/rules.js');
    const s = new Session(lr, { ...sessionOptions(args, true), noProbes: true });
    try {
      const st = s.state;
      return lr.runbook.phases.every(
        (p) => phaseState(st, p.id).status === 'signed-off' && !approvalsMissing(lr.runbook, st, p.id),
      );
    } finally {
      await s.close();
    }
  } catch {
    return false;
  }
}

/** Each environment's app, (re)started: a leftover app from a killed demo may hold old settings. */
function startApps(
  stateFolder: string,
  ports: DemoConfig,
  password: string,
  made: DemoEnvironment[],
  say: (s: string) => void,
): void {
  for (const e of DEMO_ENVIRONMENTS) {
    const t0 = Date.now();
    const l = demoLayout(stateFolder, e);
    appCtl('restart', demoVars(l, ports, password));
    const data = !made.includes(e) ? '' : e === 'staging' ? ", a copy of production's data" : ', sample data created';
    say(
      `  ${e}: Flux Studio app on http://127.0.0.1:${appPortOf(ports, e)} in ${Date.now() - t0} ms ` +
        `(workspace ${l.workspace}${data})`,
    );
  }
}

/** How a colleague follows the demo, said at its start. */
const FOLLOW =
  `follow it from another terminal: npx waymark demo watch; in a browser: npx waymark demo serve ` +
  `(http://127.0.0.1:${DEFAULT_PORT}/, its /metrics for Prometheus)`;

/** What the demo says of the environment it walks, at its start. */
function walkNote(environment: DemoEnvironment): string {
  return environment === 'staging'
    ? 'staging first: production begins only once its run has every phase signed off ' +
        '(then `npm run demo -- --env production`)'
    : "production: its run begins only after staging's run has every phase signed off by keys the demo trusts";
}

/** The app's control script (start, stop, restart); what fails shows in the runbook's health checks. */
function appCtl(cmd: string, vars: Record<string, string>): void {
  try {
    execFileSync(process.execPath, [join(APP_DIR, 'app-control.js'), cmd], {
      stdio: 'ignore',
      env: { ...process.env, ...vars },
      timeout: 20_000,
    });
  } catch {
    /* reported by the runbook's health checks */
  }
}

/** The demo's run, in the TUI or plain: its own database, so the run is started there without asking. */
async function walkDemo(
  a: ParsedArgs,
  layout: DemoLayout,
  say: (s: string) => void,
  started: () => void,
): Promise<number> {
  const run = demoRun(a, layout, { 'new-run': true });
  const args = run.args;
  const lr = run.load();
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
  const stateFolder = dirname(layout.dir);
  const runs = DEMO_ENVIRONMENTS.map((e) => {
    const l = demoLayout(stateFolder, e);
    try {
      execFileSync(process.execPath, [join(APP_DIR, 'app-control.js'), 'stop'], {
        stdio: 'ignore',
        env: { ...process.env, ENV_FILE: l.envFile },
      });
    } catch {
      /* not running */
    }
    const { args, load } = demoRun(a, l);
    return runPathsFor(args, load());
  });
  await stopLeftoverPostgres(layout);
  const moved = await exportShared(layout, runs);
  const archived = runs.flatMap((paths) => {
    const to =
      moved.includes(paths) || !moved.length
        ? new StateStore(paths.state).archive(paths.archive, [paths.audit])
        : undefined;
    return to ? [to] : [];
  });
  removeDemo(layout);
  process.stderr.write(
    `demo reset: database and workspace removed${
      archived.length === 1
        ? `; the previous run was archived to ${archived[0]}`
        : archived.length
          ? `; the previous runs were archived to ${archived.join(', ')}`
          : ''
    }\n`,
  );
}

/**
 * A run kept in the demo's own PostgreSQL goes with it on --reset: it is moved into the state
 * folder's archive first, with its whole log (state export), so no run is ever lost. The runs moved.
 */
async function exportShared(layout: DemoLayout, runs: RunPaths[]): Promise<RunPaths[]> {
  const cfg = readDemoConfig(layout);
  if (!cfg?.sharedState) return [];
  const password = demoPassword(dirname(layout.dir)) ?? '';
  const { startEmbedded } = await import('../pg/embedded.js');
  const server = await startEmbedded({ dataDir: layout.pgData, port: cfg.pgPort, password, stage: () => undefined });
  try {
    const { moveToFolder } = await import('../state/run-transfer.js');
    return runs.filter((paths) => {
      const moved = moveToFolder(demoStateUrl(cfg, password), paths, operatorName(undefined));
      if (moved) process.stdout.write(`${moved}\n`);
      return !!moved;
    });
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
  if (a.flags.runbook) parsed.flags.runbook = a.flags.runbook;
  const { args } = demoRun(parsed, layout);
  if (a.flags['state-dir']) args.flags['state-dir'] = a.flags['state-dir'];
  const go = () => spec.run(args, commands);
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
