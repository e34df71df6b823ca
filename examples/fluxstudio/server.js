// Flux Studio, small but real: a node:http API over the dual-write service.
// It runs as a cluster, as `pm2 reload` does it: the primary holds the listening socket
// and replaces workers one at a time (SIGHUP), so a restart refuses no request. Node 20
// has no reusePort: without the primary, a stop-then-start always leaves a gap.
import cluster from 'node:cluster';
import http from 'node:http';
import net from 'node:net';

if (cluster.isPrimary) {
  await primary();
} else {
  await worker();
}

/** Keeps one worker serving; on SIGHUP starts a new one and drains the old once the new is ready. */
async function primary() {
  const log = (m) => console.log(`${new Date().toISOString()} ${m}`);
  let current;
  let reloading = false;
  let stopping = false;
  const fork = (reload = false) =>
    new Promise((resolve, reject) => {
      const w = cluster.fork(reload ? { FLUX_RELOAD: '1' } : {});
      const fail = (code) => reject(new Error(`worker ${w.process.pid} exited (${code}) before it was ready`));
      w.once('exit', fail);
      w.on('message', (m) => {
        if (m === 'ready') {
          w.off('exit', fail);
          resolve(w);
        }
      });
    });
  // 'drain' on a reload (another worker serves on), 'stop' when the whole app stops
  const drain = (w, how = 'drain') =>
    new Promise((resolve) => {
      if (!w || w.isDead()) return resolve();
      w.once('exit', resolve);
      w.send(how);
      // a request that never ends must not hold a reload forever
      setTimeout(() => w.isDead() || w.kill('SIGKILL'), 30_000).unref();
    });
  const watch = (w) =>
    w.on('exit', (code) => {
      if (w !== current || stopping) return;
      log(`⚠️ worker ${w.process.pid} exited (${code}); starting another`);
      fork().then((n) => watch((current = n)), (e) => log(`❌ ${e.message}`));
    });
  try {
    current = await fork();
    watch(current);
  } catch (e) {
    log(`❌ ${e.message}`);
    process.exit(1);
  }
  process.on('SIGHUP', async () => {
    if (reloading || stopping) return;
    reloading = true;
    const old = current;
    try {
      // the new worker takes connections only once it is listening and healthy
      const next = await fork(true);
      current = next;
      watch(next);
      log(`🔁 reload: worker ${next.process.pid} ready; draining worker ${old.process.pid}`);
      await drain(old);
      log(`🔁 reload done: worker ${next.process.pid} serves alone`);
    } catch (e) {
      log(`❌ reload failed, worker ${old.process.pid} goes on serving: ${e.message}`);
    } finally {
      reloading = false;
    }
  });
  const stop = async () => {
    stopping = true;
    await Promise.all(Object.values(cluster.workers).map((w) => drain(w, 'stop')));
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function worker() {
  const { createPool, flag } = await import('./database/config.js');
  const { DualWriteService } = await import('./database/dual-write-service.js');

  const stamp = () => new Date().toISOString();
  const log = (m) => console.log(`${stamp()} ${m}`);
  const usesPg = flag('USE_POSTGRES') || flag('DUAL_WRITE_ENABLED');
  const pool = usesPg ? createPool() : null;
  const service = new DualWriteService(pool, log);

  async function body(req) {
    let raw = '';
    for await (const c of req) {
      raw += c;
      if (raw.length > 1e6) throw Object.assign(new Error('body too large'), { status: 413 });
    }
    try {
      return raw ? JSON.parse(raw) : {};
    } catch {
      throw Object.assign(new Error('invalid JSON'), { status: 400 });
    }
  }

  let draining = false;
  function send(res, status, data) {
    // while draining, every answer closes its connection: the client's next request goes to the new worker
    res.writeHead(status, { 'content-type': 'application/json', ...(draining ? { connection: 'close' } : {}) });
    res.end(JSON.stringify(data));
  }

  async function health() {
    let db = 'disabled';
    if (pool) {
      try {
        await pool.query('SELECT 1');
        db = 'up';
      } catch (e) {
        db = `down: ${e.message}`;
      }
    }
    return {
      status: service.usePostgres && db !== 'up' ? 'degraded' : 'ok',
      ...service.describe(),
      db,
      pool: pool ? { totalCount: pool.totalCount, idleCount: pool.idleCount, waitingCount: pool.waitingCount } : { totalCount: 0, idleCount: 0, waitingCount: 0 },
      pendingPostgresWrites: service.pending().length,
      uptimeSeconds: Math.round(process.uptime()),
      worker: process.pid,
    };
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    try {
      if (req.method === 'GET' && url.pathname === '/api/health') return send(res, 200, await health());
      if (req.method === 'POST' && url.pathname === '/api/auth/signup') return send(res, 201, await service.createUser(await body(req)));
      if (req.method === 'GET' && url.pathname === '/api/users') return send(res, 200, await service.users());
      if (req.method === 'GET' && url.pathname === '/api/projects') return send(res, 200, await service.projects());
      if (req.method === 'POST' && url.pathname === '/api/projects') return send(res, 201, await service.createProject(await body(req)));
      if (parts[0] === 'api' && parts[1] === 'projects' && parts[3] === 'tasks') {
        if (req.method === 'POST') return send(res, 201, await service.createTask(parts[2], await body(req)));
        if (req.method === 'GET') {
          const p = (await service.projects()).find((x) => String(x.id) === parts[2]);
          return p ? send(res, 200, p.tasks ?? []) : send(res, 404, { error: 'project not found' });
        }
      }
      send(res, 404, { error: 'not found' });
    } catch (e) {
      const status = e.status ?? 500;
      if (status >= 500) console.error(`${stamp()} ❌ ${req.method} ${url.pathname}: ${e.message}`);
      send(res, status, { error: e.message });
    }
  });

  const port = Number(process.env.PORT || 3001);
  // healthy before it takes any connection: on a reload an unhealthy worker gives up, and the old one goes on
  const h = await health();
  if (h.status !== 'ok') {
    log(`⚠️ worker ${process.pid} is ${h.status}: db ${h.db}`);
    if (process.env.FLUX_RELOAD === '1') process.exit(1);
  }
  server.listen(port, '127.0.0.1', () => {
    const d = service.describe();
    log(`🚀 Flux Studio worker ${process.pid} listening on http://127.0.0.1:${port} — reads: ${d.reads === 'postgres' ? 'PostgreSQL' : 'JSON'}, writes: ${d.writes}`);
    process.send?.('ready');
  });
  const retry = setInterval(() => service.retryPending().catch((e) => console.error(`${stamp()} retry failed: ${e.message}`)), 3000);
  const drain = (stopping = false) => {
    // the app stopping as a whole: no other worker will answer, so idle connections go now
    if (stopping) server.closeIdleConnections();
    if (draining) return;
    draining = true;
    clearInterval(retry);
    // No new connections; every answer from now on closes its connection. An idle keep-alive
    // socket is not closed early: a client may be writing a request into it at this instant,
    // and that request would fail (measured with 30 keep-alive clients: 10 of 2,565 requests
    // failed over 8 reloads while http's server.close() closed idle sockets; 0 of 22,221 over 20 now).
    // The client gives it up first (its keep-alive timer: undici's is 4 s), or its next request
    // is answered here with `Connection: close`; a client that does neither is closed at the
    // advertised `Keep-Alive: timeout=5`, as on any day. So: net's close, which only stops accepting.
    net.Server.prototype.close.call(server, () => pool?.end().finally(() => process.exit(0)) ?? process.exit(0));
    // a client that never gives up an idle socket must not hold the old worker forever
    setTimeout(() => process.exit(0), 25_000).unref();
  };
  process.on('message', (m) => (m === 'drain' || m === 'stop') && drain(m === 'stop'));
  process.on('SIGTERM', () => drain(true));
  process.on('SIGINT', () => {}); // the primary decides when a worker stops
}
