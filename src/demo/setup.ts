// The demo target: embedded PostgreSQL, the Flux Studio sample app and its JSON
// files, all under <state dir>/demo, with runbook.yaml's vars pointed at them.
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync, lstatSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readEnvFile } from '../runbook/template.js';
import { freePort } from '../pg/embedded.js';
import { pidAlive } from '../state/lock.js';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const APP_DIR = join(PACKAGE_ROOT, 'examples', 'fluxstudio');
export const RUNBOOK = join(PACKAGE_ROOT, 'runbook.yaml');
/** the demo's run keeps one identity although its ports may change between starts */
export const DEMO_FINGERPRINT = 'demo';

export interface DemoLayout {
  dir: string;
  pgData: string;
  workspace: string;
  envFile: string;
  configFile: string;
}

export function demoLayout(stateDir: string): DemoLayout {
  const dir = join(stateDir, 'demo');
  return {
    dir,
    pgData: join(dir, 'pg'),
    workspace: join(dir, 'workspace'),
    envFile: join(dir, 'workspace', '.env'),
    configFile: join(dir, 'demo.json'),
  };
}

export interface DemoConfig {
  pgPort: number;
  appPort: number;
  /** the run's state lives in the demo's PostgreSQL (database waymark_state), as a team keeps it */
  sharedState?: boolean;
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
  let saved: Partial<DemoConfig> = {};
  try {
    saved = JSON.parse(readFileSync(l.configFile, 'utf8')) as DemoConfig;
  } catch {
    /* first start */
  }
  const pick = async (p?: number) => (p && (await portFree(p)) ? p : freePort());
  const pgPort = await pick(saved.pgPort);
  let appPort = await pick(saved.appPort);
  while (appPort === pgPort) appPort = await freePort();
  const cfg: DemoConfig = { pgPort, appPort, sharedState: sharedState || saved.sharedState || undefined };
  mkdirSync(l.dir, { recursive: true });
  writeFileSync(l.configFile, JSON.stringify(cfg, null, 2) + '\n');
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

/** Creates the workspace (sample JSON files and the app's .env) on first start; keeps it after. */
export function prepareWorkspace(l: DemoLayout, ports: DemoConfig, users = 25): { password: string; created: boolean } {
  mkdirSync(l.workspace, { recursive: true });
  const created = !existsSync(join(l.workspace, 'users.json'));
  if (created)
    execFileSync(
      process.execPath,
      // two users appended again, renamed, as a real store accumulates: the migration asks which copy to keep
      [join(APP_DIR, 'generate-data.js'), '--users', String(users), '--duplicates', '2', '--out', l.workspace],
      { stdio: 'ignore' },
    );
  const env = readEnvFile(l.envFile);
  const password = env.DB_PASSWORD || randomBytes(12).toString('base64url');
  // The app before the migration: JSON only. Ports follow this start's choice.
  const want: Record<string, string> = {
    DB_HOST: '127.0.0.1',
    DB_PORT: String(ports.pgPort),
    DB_NAME: env.DB_NAME || 'fluxstudio_db',
    DB_USER: 'postgres',
    DB_PASSWORD: password,
    NODE_ENV: env.NODE_ENV || 'development',
    PORT: String(ports.appPort),
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
  return { password, created };
}

const q = (s: string) => `"${s.replace(/(["\\$`])/g, '\\$1')}"`;

/** runbook.yaml's vars for the demo target; secrets travel only in the environment. */
export function demoVars(l: DemoLayout, ports: DemoConfig, password: string): Record<string, string> {
  const node = q(process.execPath);
  const tool = (name: string) => `${node} ${q(join(APP_DIR, 'tools', name))}`;
  const ctl = (args: string) => `${node} ${q(join(APP_DIR, 'app-control.js'))} ${args}`;
  return {
    APP_DIR,
    DATA_DIR: l.workspace,
    ENV_FILE: l.envFile,
    BACKUP_DIR: join(l.workspace, 'backups'),
    API_URL: `http://127.0.0.1:${ports.appPort}`,
    DB_HOST: '127.0.0.1',
    DB_PORT: String(ports.pgPort),
    DB_NAME: 'fluxstudio_db',
    DB_USER: 'postgres',
    DB_PASSWORD: password,
    DATABASE_URL: '',
    NODE_ENV: 'development',
    PORT: String(ports.appPort),
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
