// The demo target: embedded PostgreSQL, the Flux Studio sample app and its JSON
// files, all under <state dir>/demo, with runbook.yaml's vars pointed at them. Two
// environments, as a team has them: production (its own app, database fluxstudio_db) and
// staging (a copy of production's JSON files, its own app, database fluxstudio_staging),
// on the one PostgreSQL; staging is walked first (runbook.yaml: promote_from).
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync,
  rmSync,
  lstatSync,
  realpathSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readEnvFile } from '../runbook/template.js';
import { freePort } from '../pg/embedded.js';
import { pidAlive } from '../state/lock.js';
import { principalOf } from '../state/ssh-keys.js';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const APP_DIR = join(PACKAGE_ROOT, 'examples', 'fluxstudio');
export const RUNBOOK = join(PACKAGE_ROOT, 'runbook.yaml');
/** runbook.yaml's environments, in the order the demo walks them */
export const DEMO_ENVIRONMENTS = ['staging', 'production'] as const;
export type DemoEnvironment = (typeof DEMO_ENVIRONMENTS)[number];

/** each environment's run keeps one identity although the demo's ports may change between starts */
export const demoFingerprint = (environment: DemoEnvironment) => `demo-${environment}`;

export interface DemoLayout {
  dir: string;
  pgData: string;
  environment: DemoEnvironment;
  /** this environment's JSON files, the app's .env, its pid and logs */
  workspace: string;
  envFile: string;
  configFile: string;
  /** the keys of the demo's operators on this machine: what promote_from and verify trust */
  trustFile: string;
}

export function demoLayout(stateDir: string, environment: DemoEnvironment = 'production'): DemoLayout {
  const dir = join(stateDir, 'demo');
  // production keeps the folder a demo had before it had environments (its data and password)
  const workspace = join(dir, environment === 'production' ? 'workspace' : `workspace-${environment}`);
  return {
    dir,
    pgData: join(dir, 'pg'),
    environment,
    workspace,
    envFile: join(workspace, '.env'),
    configFile: join(dir, 'demo.json'),
    trustFile: join(dir, 'allowed_signers'),
  };
}

export interface DemoConfig {
  pgPort: number;
  /** production's app */
  appPort: number;
  stagingAppPort?: number;
  /** the environment walked last: the one `waymark demo` and its commands take when --env names none */
  environment?: DemoEnvironment;
  /** the runbook walked last (runbook.yaml, or runbook.md with --runbook): its commands take it too */
  runbook?: string;
  /** the run's state lives in the demo's PostgreSQL (database waymark_state), as a team keeps it */
  sharedState?: boolean;
}

export const appPortOf = (cfg: DemoConfig, environment: DemoEnvironment) =>
  environment === 'production' ? cfg.appPort : (cfg.stagingAppPort ?? cfg.appPort);

export const databaseOf = (environment: DemoEnvironment) =>
  environment === 'production' ? 'fluxstudio_db' : `fluxstudio_${environment}`;

/** The demo's config as saved, or undefined before the first demo. */
export function readDemoConfig(l: Pick<DemoLayout, 'configFile'>): DemoConfig | undefined {
  try {
    return JSON.parse(readFileSync(l.configFile, 'utf8')) as DemoConfig;
  } catch {
    return undefined;
  }
}

export function saveDemoConfig(l: DemoLayout, cfg: DemoConfig): void {
  mkdirSync(l.dir, { recursive: true });
  writeFileSync(l.configFile, JSON.stringify(cfg, null, 2) + '\n');
}

/** The demo's state database: in the demo's own PostgreSQL; the URL goes through the environment only. */
export function demoStateUrl(cfg: DemoConfig, password: string): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${cfg.pgPort}/waymark_state`;
}

/** Creates the demo's state database on first use. */
export async function ensureStateDatabase(cfg: DemoConfig, password: string): Promise<void> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ host: '127.0.0.1', port: cfg.pgPort, user: 'postgres', password, database: 'postgres' });
  await c.connect();
  try {
    const r = await c.query(`SELECT 1 FROM pg_database WHERE datname = 'waymark_state'`);
    if (!r.rowCount) await c.query('CREATE DATABASE waymark_state');
  } finally {
    await c.end();
  }
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** The ports used last time when still free, else new free ones. */
export async function demoPorts(l: DemoLayout, sharedState = false): Promise<DemoConfig> {
  const saved: Partial<DemoConfig> = readDemoConfig(l) ?? {};
  const taken = new Set<number>();
  const pick = async (p?: number) => {
    let port = p && !taken.has(p) && (await portFree(p)) ? p : await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    return port;
  };
  const pgPort = await pick(saved.pgPort);
  const appPort = await pick(saved.appPort);
  const stagingAppPort = await pick(saved.stagingAppPort);
  const cfg: DemoConfig = {
    pgPort,
    appPort,
    stagingAppPort,
    environment: saved.environment,
    runbook: saved.runbook,
    sharedState: sharedState || saved.sharedState || undefined,
  };
  saveDemoConfig(l, cfg);
  return cfg;
}

/** A postgres left running by a demo that was killed is shut down before starting again. */
export async function stopLeftoverPostgres(l: DemoLayout): Promise<void> {
  const pidFile = join(l.pgData, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid || !pidAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

/**
 * Creates the environment's workspace (the JSON files and the app's .env) on first start; keeps it
 * after. Production's JSON files are generated; staging's are a copy of production's, as they were
 * when staging was made (a team rehearses on a copy of production's data).
 */
export function prepareWorkspace(l: DemoLayout, ports: DemoConfig, password: string, users = 25): { created: boolean } {
  mkdirSync(l.workspace, { recursive: true });
  const created = !existsSync(join(l.workspace, 'users.json'));
  const production = demoLayout(dirname(l.dir), 'production').workspace;
  if (created && l.environment === 'production')
    execFileSync(
      process.execPath,
      // two users appended again, renamed, as a real store accumulates: the migration asks which copy to keep
      [join(APP_DIR, 'generate-data.js'), '--users', String(users), '--duplicates', '2', '--out', l.workspace],
      { stdio: 'ignore' },
    );
  else if (created)
    for (const f of ['projects.json', 'users.json']) copyFileSync(join(production, f), join(l.workspace, f));
  const env = readEnvFile(l.envFile);
  // The app before the migration: JSON only. Ports follow this start's choice.
  const want: Record<string, string> = {
    DB_HOST: '127.0.0.1',
    DB_PORT: String(ports.pgPort),
    DB_NAME: env.DB_NAME || databaseOf(l.environment),
    DB_USER: 'postgres',
    DB_PASSWORD: password,
    NODE_ENV: env.NODE_ENV || 'development',
    PORT: String(appPortOf(ports, l.environment)),
    USE_POSTGRES: env.USE_POSTGRES ?? 'false',
    DUAL_WRITE_ENABLED: env.DUAL_WRITE_ENABLED ?? 'false',
    // password hashing cost 2^12, not 2^14: the demo's load (50 signups/s) must fit beside
    // PostgreSQL and Waymark on a 2-core laptop
    SCRYPT_LOG2_N: env.SCRYPT_LOG2_N ?? '12',
  };
  const text = existsSync(l.envFile) ? readFileSync(l.envFile, 'utf8') : '# Flux Studio environment (demo workspace)\n';
  let out = text;
  for (const [k, v] of Object.entries(want)) {
    const re = new RegExp(`^${k}=.*$`, 'm');
    out = re.test(out) ? out.replace(re, `${k}=${v}`) : `${out.replace(/\n?$/, '\n')}${k}=${v}\n`;
  }
  if (out !== text) writeFileSync(l.envFile, out);
  return { created };
}

/** The demo PostgreSQL's password: kept in production's .env since the first start (else staging's). */
export function demoPassword(stateDir: string): string | undefined {
  for (const e of ['production', 'staging'] as const) {
    const p = readEnvFile(demoLayout(stateDir, e).envFile).DB_PASSWORD;
    if (p) return p;
  }
  return undefined;
}

export const newPassword = () => randomBytes(12).toString('base64url');

/**
 * The demo's trust file: the keys its operators made on this machine (the state folder's keys/),
 * each for its operator's name. A team keeps its own list in its repository instead; the demo's
 * is made from what is there, so its production run can be promoted from its staging run.
 */
export function writeDemoTrustFile(l: DemoLayout, stateDir: string): string {
  const keys = join(stateDir, 'keys');
  const lines: string[] = [];
  for (const f of existsSync(keys) ? readdirSync(keys).sort() : []) {
    if (!f.endsWith('_ed25519.pub')) continue;
    const [type, data, ...comment] = readFileSync(join(keys, f), 'utf8').trim().split(/\s+/);
    const name = comment.join(' ').replace(/ \(waymark\)$/, '');
    if (type && data && name) lines.push(`${principalOf(name)} namespaces="waymark" ${type} ${data}`);
  }
  mkdirSync(l.dir, { recursive: true });
  const text = `# written by waymark demo: the keys of the demo's operators on this machine\n${lines.join('\n')}\n`;
  if (!existsSync(l.trustFile) || readFileSync(l.trustFile, 'utf8') !== text) writeFileSync(l.trustFile, text);
  return l.trustFile;
}

const q = (s: string) => `"${s.replace(/(["\\$`])/g, '\\$1')}"`;

/** runbook.yaml's vars for the demo target; secrets travel only in the environment. */
export function demoVars(l: DemoLayout, ports: DemoConfig, password: string): Record<string, string> {
  const port = appPortOf(ports, l.environment);
  const node = q(process.execPath);
  const tool = (name: string) => `${node} ${q(join(APP_DIR, 'tools', name))}`;
  const ctl = (args: string) => `${node} ${q(join(APP_DIR, 'app-control.js'))} ${args}`;
  return {
    APP_DIR,
    DATA_DIR: l.workspace,
    ENV_FILE: l.envFile,
    BACKUP_DIR: join(l.workspace, 'backups'),
    API_URL: `http://127.0.0.1:${port}`,
    DB_HOST: '127.0.0.1',
    DB_PORT: String(ports.pgPort),
    DB_NAME: databaseOf(l.environment),
    DB_USER: 'postgres',
    DB_PASSWORD: password,
    DATABASE_URL: '',
    NODE_ENV: 'development',
    PORT: String(port),
    NODE: process.execPath,
    PSQL: tool('psql.js'),
    CREATEDB: tool('createdb.js'),
    PG_DUMP: tool('pg_dump.js'),
    SERVICE_STATUS_CMD: tool('pg-status.js'),
    FIREWALL_CMD:
      `echo "demo: the app and PostgreSQL talk over loopback (127.0.0.1:${ports.pgPort}); no ` + `firewall in between"`,
    BUILD_CMD: ctl('build'),
    RESTART_CMD: ctl('restart'),
    LOGS_CMD: ctl('logs --lines 100'),
    ERR_LOGS_CMD: ctl('logs --err --lines 100'),
    MONITOR_CMD: ctl('status'),
  };
}

export function removeDemo(l: DemoLayout): void {
  // as root in a private folder the data lives in Waymark's runtime folder, behind a link
  try {
    if (lstatSync(l.pgData).isSymbolicLink()) rmSync(realpathSync(l.pgData), { recursive: true, force: true });
  } catch {
    /* no data yet */
  }
  rmSync(l.dir, { recursive: true, force: true });
}
