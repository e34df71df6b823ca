// The PostgreSQL side of a shared run store (pg-store.ts), in a worker thread: the session's
// commit path is synchronous (an event is in the log before the state that results from it,
// and nothing runs in between), so the main thread waits on this worker (synckit) while
// it talks to the server. The worker also holds the run's session lock: a session-level
// advisory lock on one connection that lives as long as the process, so PostgreSQL frees it
// by itself when the process or its machine dies, and it beats the sessions row meanwhile.
import { runAsWorker } from 'synckit';
import pg from 'pg';
import { createHash } from 'node:crypto';

export const SCHEMA_VERSION = 1;

/** Each step forward, in order; applied under a transaction-level lock, so two first users never race. */
const MIGRATIONS: string[] = [
  // a stream is one stay of a run in this database: its events, numbered from 1; a run moved out
  // and back in (state export / import) starts a new stream, and the old one stays as it was
  `CREATE TABLE waymark.runs (
     run_key text PRIMARY KEY, run_id text NOT NULL, stream uuid NOT NULL UNIQUE, state text NOT NULL,
     version bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
   CREATE TABLE waymark.events (
     stream uuid NOT NULL, seq integer NOT NULL, line text NOT NULL, hash text NOT NULL,
     written_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (stream, seq));
   CREATE TABLE waymark.archived_runs (
     stream uuid PRIMARY KEY, run_key text NOT NULL, run_id text NOT NULL, state text NOT NULL,
     archived_at timestamptz NOT NULL);
   CREATE TABLE waymark.sessions (
     run_key text PRIMARY KEY, operator text NOT NULL, host text NOT NULL, pid integer NOT NULL,
     since timestamptz NOT NULL, last_seen timestamptz NOT NULL, backend_pid integer NOT NULL);
   CREATE TABLE waymark.approvals (
     run_key text NOT NULL, name text NOT NULL, body text NOT NULL, refused boolean NOT NULL DEFAULT false,
     PRIMARY KEY (run_key, name));
   CREATE FUNCTION waymark.append_only() RETURNS trigger LANGUAGE plpgsql AS
     $$ BEGIN RAISE EXCEPTION 'waymark.events is append-only'; END $$;
   CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON waymark.events
     FOR EACH ROW EXECUTE FUNCTION waymark.append_only();`,
];

export interface Holder {
  operator: string;
  host: string;
  pid: number;
  since: string;
  lastSeen: string;
  /** seconds since its last heartbeat, by the server's clock */
  silentS: number;
  /** its connection still lives (it holds the lock) */
  connected: boolean;
}

export interface Checkout {
  state?: string;
  version: number;
  lines: string[];
}

export type Request =
  | { op: 'open'; url: string; runKey: string; me: { operator: string; host: string; pid: number } }
  | { op: 'read'; url: string; runKey: string }
  | { op: 'commit'; handle: number; runId: string; lines: Array<{ seq: number; line: string }>; state: string }
  | { op: 'approvals'; handle: number }
  | { op: 'refuse-approval'; handle: number; name: string }
  | { op: 'drop-approval'; url: string; runKey: string; name: string; body: string }
  | { op: 'archive'; handle: number }
  | { op: 'import'; url: string; runKey: string; runId: string; state: string; lines: string[] }
  | { op: 'list'; url: string }
  | { op: 'close'; handle: number };

export type Reply =
  | { ok: true; value?: unknown }
  | { ok: false; error: string; code?: string; kind?: 'conflict' | 'held' | 'schema'; holder?: Holder };

interface Open {
  client: pg.Client;
  runKey: string;
  version: number;
  beat: NodeJS.Timeout;
}

const handles = new Map<number, Open>();
let nextHandle = 1;
const HEARTBEAT_MS = 10_000;

function lockKey(runKey: string): [number, number] {
  const h = createHash('sha256').update(`waymark-run:${runKey}`).digest();
  return [0x57415953 | 0, h.readInt32BE(0)]; // "WAYS": apart from the target locks ("WAYM")
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    query_timeout: 15_000,
    application_name: 'waymark state',
    keepAlive: true,
  });
  // a connection lost later fails the next call, which the session reports; never an unhandled error
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
  return client;
}

/** Creates the schema on first use and brings it forward; refuses one of a newer Waymark. */
async function ensureSchema(client: pg.Client): Promise<void> {
  const meta = await client.query<{ t: string | null }>(`SELECT to_regclass('waymark.meta')::text AS t`);
  if (meta.rows[0].t) {
    const have = await client.query<{ value: string }>(`SELECT value FROM waymark.meta WHERE key = 'schema'`);
    if (Number(have.rows[0]?.value ?? 0) === SCHEMA_VERSION) return;
  }
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${0x57415953 | 0}, 0)`);
    await client.query('CREATE SCHEMA IF NOT EXISTS waymark');
    await client.query('CREATE TABLE IF NOT EXISTS waymark.meta (key text PRIMARY KEY, value text NOT NULL)');
    const r = await client.query<{ value: string }>(`SELECT value FROM waymark.meta WHERE key = 'schema'`);
    const at = Number(r.rows[0]?.value ?? 0);
    if (at > SCHEMA_VERSION)
      throw Object.assign(
        new Error(`its waymark schema is version ${at}, of a newer Waymark (this one knows up to ${SCHEMA_VERSION})`),
        { kind: 'schema' },
      );
    for (let v = at; v < SCHEMA_VERSION; v++) await client.query(MIGRATIONS[v]);
    await client.query(
      `INSERT INTO waymark.meta VALUES ('schema', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [String(SCHEMA_VERSION)],
    );
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

interface HolderRow {
  run_key: string;
  operator: string;
  host: string;
  pid: number;
  since: Date;
  last_seen: Date;
  silent: number;
  connected: boolean;
}

/** The sessions rows of the runs asked for (all, for no key), with whether each holder's connection lives. */
const HOLDERS = `SELECT run_key, operator, host, pid, since, last_seen,
    extract(epoch FROM now() - last_seen)::int AS silent,
    EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = s.backend_pid) AS connected
  FROM waymark.sessions s WHERE $1::text IS NULL OR run_key = $1`;

function toHolder(x: HolderRow): Holder {
  return {
    operator: x.operator,
    host: x.host,
    pid: x.pid,
    since: new Date(x.since).toISOString(),
    lastSeen: new Date(x.last_seen).toISOString(),
    silentS: Number(x.silent),
    connected: Boolean(x.connected),
  };
}

async function holderOf(client: pg.Client, runKey: string): Promise<Holder | undefined> {
  const r = await client.query<HolderRow>(HOLDERS, [runKey]);
  return r.rows[0] && toHolder(r.rows[0]);
}

async function checkout(client: pg.Client, runKey: string): Promise<Checkout> {
  const run = await client.query<{ stream: string; state: string; version: string }>(
    'SELECT stream, state, version FROM waymark.runs WHERE run_key = $1',
    [runKey],
  );
  const row = run.rows[0];
  if (!row) return { version: 0, lines: [] };
  const ev = await client.query<{ line: string }>('SELECT line FROM waymark.events WHERE stream = $1 ORDER BY seq', [
    row.stream,
  ]);
  return { state: row.state, version: Number(row.version), lines: ev.rows.map((e) => e.line) };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(url);
  try {
    await ensureSchema(client);
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function insertEvents(c: pg.Client, stream: string, lines: Array<{ seq: number; line: string }>) {
  for (const l of lines)
    await c.query('INSERT INTO waymark.events (stream, seq, line, hash) VALUES ($1, $2, $3, $4)', [
      stream,
      l.seq,
      l.line,
      createHash('sha256').update(l.line).digest('hex'),
    ]);
}

function handle(n: number): Open {
  const h = handles.get(n);
  if (!h) throw new Error('this session no longer holds the run in the state database');
  return h;
}

/** Takes the run: its advisory lock, its sessions row, a heartbeat; refused while another session holds it. */
async function openRun(req: Extract<Request, { op: 'open' }>): Promise<unknown> {
  const client = await connect(req.url);
  try {
    await ensureSchema(client);
    // a machine that dies (power, network) sends no goodbye: the server probes the idle
    // connection and drops it within about 30 s, and with it the lock; by default it waits hours
    await client.query('SET tcp_keepalives_idle = 15; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3');
    const [a, b] = lockKey(req.runKey);
    const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [a, b]);
    if (!got.rows[0].ok) {
      const holder = await holderOf(client, req.runKey);
      throw Object.assign(new Error('held'), { kind: 'held', holder });
    }
    // a row left behind is a holder whose connection is gone (it would hold the lock otherwise)
    const before = await holderOf(client, req.runKey);
    await client.query(
      `INSERT INTO waymark.sessions VALUES ($1, $2, $3, $4, now(), now(), pg_backend_pid())
       ON CONFLICT (run_key) DO UPDATE SET operator = $2, host = $3, pid = $4, since = now(), last_seen = now(),
         backend_pid = pg_backend_pid()`,
      [req.runKey, req.me.operator, req.me.host, req.me.pid],
    );
    const co = await checkout(client, req.runKey);
    const beat = setInterval(() => {
      client
        .query('UPDATE waymark.sessions SET last_seen = now() WHERE run_key = $1 AND backend_pid = pg_backend_pid()', [
          req.runKey,
        ])
        .catch(() => undefined);
    }, HEARTBEAT_MS);
    const n = nextHandle++;
    handles.set(n, { client, runKey: req.runKey, version: co.version, beat });
    return { handle: n, checkout: co, tookOverFrom: before };
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
}

/** One snapshot: the state and the lines as of the same commit, while a writer goes on. */
async function readRun(req: Extract<Request, { op: 'read' }>): Promise<unknown> {
  // one snapshot: the state and the lines as of the same commit, while a writer goes on
  return withClient(req.url, async (c) => {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      // the events' own witness is that nobody can change them: the trigger that refuses it is in force
      const t = await c.query<{ on: boolean }>(
        `SELECT tgenabled <> 'D' AS on FROM pg_trigger
          WHERE tgname = 'events_append_only' AND tgrelid = 'waymark.events'::regclass`,
      );
      const appendOnly = t.rows.length > 0 && t.rows[0].on;
      return { checkout: await checkout(c, req.runKey), holder: await holderOf(c, req.runKey), appendOnly };
    } finally {
      await c.query('COMMIT').catch(() => undefined);
    }
  });
}

/** One event (or none) and the state it leads to, in one transaction; a moved version stops it. */
async function commitEvent(req: Extract<Request, { op: 'commit' }>): Promise<unknown> {
  const h = handle(req.handle);
  const c = h.client;
  await c.query('BEGIN');
  try {
    // the state first: its version is the check that this session is still the one writer
    const r =
      h.version === 0
        ? await c.query<{ stream: string }>(
            `INSERT INTO waymark.runs (run_key, run_id, stream, state, version)
             VALUES ($1, $2, gen_random_uuid(), $3, 1) ON CONFLICT (run_key) DO NOTHING RETURNING stream`,
            [h.runKey, req.runId, req.state],
          )
        : await c.query<{ stream: string }>(
            `UPDATE waymark.runs SET state = $3, version = version + 1, updated_at = now()
              WHERE run_key = $1 AND run_id = $2 AND version = $4 RETURNING stream`,
            [h.runKey, req.runId, req.state, h.version],
          );
    if (r.rowCount !== 1) throw Object.assign(new Error('conflict'), { kind: 'conflict' });
    await insertEvents(c, r.rows[0].stream, req.lines);
    await c.query('COMMIT');
    h.version++;
    return h.version;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** The approvals dropped for the run's writer, not refused. */
async function listApprovals(req: Extract<Request, { op: 'approvals' }>): Promise<unknown> {
  const h = handle(req.handle);
  const r = await h.client.query<{ name: string; body: string }>(
    'SELECT name, body FROM waymark.approvals WHERE run_key = $1 AND NOT refused ORDER BY name',
    [h.runKey],
  );
  return r.rows;
}

/** An approval the writer refused, marked so (kept). */
async function refuseApproval(req: Extract<Request, { op: 'refuse-approval' }>): Promise<unknown> {
  const h = handle(req.handle);
  await h.client.query('UPDATE waymark.approvals SET refused = true WHERE run_key = $1 AND name = $2', [
    h.runKey,
    req.name,
  ]);
  return true;
}

/** An approval dropped for the run's writer: one per name; false (and what is there) when taken. */
async function dropApproval(req: Extract<Request, { op: 'drop-approval' }>): Promise<unknown> {
  return withClient(req.url, async (c) => {
    const r = await c.query(
      'INSERT INTO waymark.approvals (run_key, name, body) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [req.runKey, req.name, req.body],
    );
    if (r.rowCount === 1) return { inserted: true };
    const had = await c.query<{ body: string }>('SELECT body FROM waymark.approvals WHERE run_key = $1 AND name = $2', [
      req.runKey,
      req.name,
    ]);
    return { inserted: false, body: had.rows[0]?.body };
  });
}

/** `waymark reset`: the run's rows move aside under the lock this session holds; its events stay. */
async function archiveRun(req: Extract<Request, { op: 'archive' }>): Promise<unknown> {
  // the run's rows move aside under the lock this session holds; its events stay, append-only
  const h = handle(req.handle);
  const c = h.client;
  await c.query('BEGIN');
  try {
    await c.query(
      `INSERT INTO waymark.archived_runs SELECT stream, run_key, run_id, state, now()
         FROM waymark.runs WHERE run_key = $1`,
      [h.runKey],
    );
    await c.query('DELETE FROM waymark.runs WHERE run_key = $1', [h.runKey]);
    await c.query('DELETE FROM waymark.approvals WHERE run_key = $1', [h.runKey]);
    await c.query('COMMIT');
    h.version = 0;
    return true;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** A run moved in from a folder: its state and every line of its log, refused when the run is there. */
async function importRun(req: Extract<Request, { op: 'import' }>): Promise<unknown> {
  return withClient(req.url, async (c) => {
    await c.query('BEGIN');
    try {
      const r = await c.query<{ stream: string }>(
        `INSERT INTO waymark.runs (run_key, run_id, stream, state, version)
         VALUES ($1, $2, gen_random_uuid(), $3, 1) ON CONFLICT (run_key) DO NOTHING RETURNING stream`,
        [req.runKey, req.runId, req.state],
      );
      if (r.rowCount !== 1) throw Object.assign(new Error('conflict'), { kind: 'conflict' });
      await insertEvents(
        c,
        r.rows[0].stream,
        req.lines.map((line, i) => ({ seq: i + 1, line })),
      );
      await c.query('COMMIT');
      return req.lines.length;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  });
}

/** Every run in the database, with who holds it. */
async function listRuns(req: Extract<Request, { op: 'list' }>): Promise<unknown> {
  return withClient(req.url, async (c) => {
    const r = await c.query<{ run_key: string; state: string }>(
      'SELECT run_key, state FROM waymark.runs ORDER BY run_key',
    );
    const held = new Map((await c.query<HolderRow>(HOLDERS, [null])).rows.map((x) => [x.run_key, toHolder(x)]));
    return r.rows.map((row) => ({ runKey: row.run_key, state: row.state, holder: held.get(row.run_key) }));
  });
}

/** Gives the run up: its sessions row and its connection. */
async function closeRun(req: Extract<Request, { op: 'close' }>): Promise<unknown> {
  const h = handles.get(req.handle);
  if (!h) return true;
  handles.delete(req.handle);
  clearInterval(h.beat);
  await h.client
    .query('DELETE FROM waymark.sessions WHERE run_key = $1 AND backend_pid = pg_backend_pid()', [h.runKey])
    .catch(() => undefined);
  await h.client.end().catch(() => undefined);
  return true;
}

type Ops = { [K in Request['op']]: (req: Extract<Request, { op: K }>) => Promise<unknown> };

const OPS: Ops = {
  open: openRun,
  read: readRun,
  commit: commitEvent,
  approvals: listApprovals,
  'refuse-approval': refuseApproval,
  'drop-approval': dropApproval,
  archive: archiveRun,
  import: importRun,
  list: listRuns,
  close: closeRun,
};

function serve(req: Request): Promise<unknown> {
  return (OPS[req.op] as (r: Request) => Promise<unknown>)(req);
}

runAsWorker(async (req: Request): Promise<Reply> => {
  try {
    return { ok: true, value: await serve(req) };
  } catch (e) {
    const err = e as { message?: string; code?: string; kind?: 'conflict' | 'held' | 'schema'; holder?: Holder };
    return { ok: false, error: String(err.message ?? e), code: err.code, kind: err.kind, holder: err.holder };
  }
});
