// waymark serve's HTTP server (node:http): the watch page, its live model (server-sent events),
// the signed reports to download, the audit log to read, and /metrics for Prometheus. Read-only:
// no route changes the run. Bound to loopback unless told otherwise; with a token, every request
// must carry it (Authorization: Bearer TOKEN, or ?token=TOKEN for a browser's first request).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { Session } from '../phases/session.js';
import { readAudit } from '../state/audit.js';
import { readLock } from '../state/lock.js';
import { watchModel, type WatchModel } from './model.js';
import { probeRecords, RunMetrics } from './metrics.js';
import { watchPage } from './page.js';

export interface ServeOptions {
  host: string;
  port: number;
  token?: string;
}

export const isLoopback = (host: string) => /^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(host);

function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const url = new URL(req.url ?? '/', 'http://x');
  const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? url.searchParams.get('token') ?? '';
  const [a, b] = [Buffer.from(given), Buffer.from(token)];
  return a.length === b.length && timingSafeEqual(a, b);
}

export class WatchServer {
  private clients = new Set<ServerResponse>();
  private metrics = new RunMetrics();
  // a route that cannot answer (a file gone, a state database away) says so; the server goes on
  private server = createServer((req, res) => {
    this.handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      const gone = (e as NodeJS.ErrnoException).code === 'ENOENT';
      res.end(
        `cannot answer now: ${gone ? 'a file of the run is not there (archived?)' : 'the run could not be read'}\n`,
      );
    });
  });
  private unsubscribe?: () => void;
  private beat?: NodeJS.Timeout;

  constructor(
    private session: Session,
    private opts: ServeOptions,
  ) {}

  model(): WatchModel & { reports: string[] } {
    const s = this.session;
    const lock = readLock(s.paths.lock);
    const holder = lock ? `${lock.operator} on ${lock.host} (pid ${lock.pid}) since ${lock.since}` : undefined;
    return { ...watchModel(s.runbook, s.state, holder), reports: this.reports() };
  }

  private reports(): string[] {
    const dir = this.session.paths.reports;
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => /^[\w.-]+$/.test(f))
          .sort()
      : [];
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    let last = '';
    const push = () => {
      const data = JSON.stringify(this.model());
      if (data === last) return;
      last = data;
      for (const c of this.clients) c.write(`data: ${data}\n\n`);
    };
    this.unsubscribe = this.session.subscribe(() => push());
    // the lock and the reports change outside the state: looked at every second too; a comment keeps proxies open
    this.beat = setInterval(() => {
      push();
      for (const c of this.clients) c.write(': ok\n\n');
    }, 1000);
    this.beat.unref();
    const a = this.server.address();
    const port = typeof a === 'object' && a ? a.port : this.opts.port;
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return `http://${host}:${port}/${this.opts.token ? `?token=${encodeURIComponent(this.opts.token)}` : ''}`;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.beat);
    for (const c of this.clients) c.end();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req, this.opts.token)) {
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' });
      res.end('a token is needed: Authorization: Bearer TOKEN (or ?token=TOKEN)\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end('read-only\n');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (type: string, body: string | Buffer): void =>
      void res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    if (path === '/') return send('text/html; charset=utf-8', watchPage(this.session.runbook.title));
    if (path === '/model.json') return send('application/json', JSON.stringify(this.model()));
    if (path === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(`data: ${JSON.stringify(this.model())}\n\n`);
      this.clients.add(res);
      req.on('close', () => this.clients.delete(res));
      return;
    }
    if (path === '/audit') return send('text/plain; charset=utf-8', readFileSync(this.session.paths.audit, 'utf8'));
    if (path === '/metrics') {
      const probes = probeRecords(readAudit(this.session.paths.audit));
      return send(this.metrics.registry.contentType, await this.metrics.render(this.model(), probes));
    }
    const report = /^\/reports\/([\w.-]+)$/.exec(path)?.[1];
    if (report && this.reports().includes(report)) {
      const type = report.endsWith('.html')
        ? 'text/html; charset=utf-8'
        : report.endsWith('.json')
          ? 'application/json'
          : 'text/plain; charset=utf-8';
      return send(type, readFileSync(join(this.session.paths.reports, report)));
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not here\n');
  }
}
