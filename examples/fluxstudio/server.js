// Flux Studio, small but real: a node:http API over the dual-write service.
import http from 'node:http';
import { createPool, flag } from './database/config.js';
import { DualWriteService } from './database/dual-write-service.js';

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

function send(res, status, data) {
  res.writeHead(status, { 'content-type': 'application/json' });
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
server.listen(port, '127.0.0.1', () => {
  const d = service.describe();
  log(`🚀 Flux Studio listening on http://127.0.0.1:${port} — reads: ${d.reads === 'postgres' ? 'PostgreSQL' : 'JSON'}, writes: ${d.writes}`);
});
const retry = setInterval(() => service.retryPending().catch((e) => console.error(`${stamp()} retry failed: ${e.message}`)), 3000);
const stop = () => {
  clearInterval(retry);
  server.close(() => pool?.end().finally(() => process.exit(0)) ?? process.exit(0));
  server.closeIdleConnections(); // keep-alive sockets would hold shutdown open
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
