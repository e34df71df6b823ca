// libpq's precedence for every connection field, and the commands follow the same server.
import { describe, it, expect } from 'vitest';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunbook } from '../../src/load/loader.js';
import { cli, cliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const load = (env: NodeJS.ProcessEnv) => loadRunbook('runbook.yaml', { env, environment: 'production' });
const createdbEnv = (env: NodeJS.ProcessEnv) => {
  const lr = load(env);
  const step = lr.runbook.phases[0].steps.find((s) => s.id === 'createdb') as { env: Record<string, string> };
  return step.env;
};

describe('where a connection comes from', () => {
  it('PG* variables alone reach the connection and the commands; the defaults no longer win', () => {
    const env = { PGHOST: 'db.internal', PGPORT: '6432', PGUSER: 'ops', PGDATABASE: 'flux', PGPASSWORD: 'pw-from-pg' };
    const lr = load(env);
    expect(lr.runbook.connections.main).toMatchObject({
      host: 'db.internal',
      port: '6432',
      user: 'ops',
      database: 'flux',
      password: 'pw-from-pg',
    });
    expect(lr.connections.main.fields.host).toEqual({ value: 'db.internal', source: 'env PGHOST' });
    // createdb gets PGHOST=${DB_HOST}: the same server the checks talk to
    expect(createdbEnv(env)).toMatchObject({ PGHOST: 'db.internal', PGPORT: '6432', PGUSER: 'ops' });
    expect(lr.redactor.redact('the password is pw-from-pg')).toBe('the password is ***');
  });

  it('the runbook (its vars set in the environment) beats the url, which beats PG*, which beats the defaults', () => {
    const url = 'postgres://bob:url-pw@url-host:7777/urldb?sslmode=require';
    const lr = load({ DATABASE_URL: url, DB_HOST: 'explicit-host', PGHOST: 'pg-host', PGUSER: 'pg-user' });
    expect(lr.connections.main.fields).toMatchObject({
      host: { value: 'explicit-host', source: 'env DB_HOST' },
      port: { value: '7777', source: 'url (env DATABASE_URL)' },
      user: { value: 'bob', source: 'url (env DATABASE_URL)' },
      database: { value: 'urldb' },
    });
    // what only the url can say (sslmode) is kept
    expect(lr.runbook.connections.main.url).toBe('postgres://bob:url-pw@explicit-host:7777/urldb?sslmode=require');
    expect(load({}).connections.main.fields.host).toEqual({ value: 'localhost', source: 'default of DB_HOST' });
  });

  it('--explain says which source each field came from, the password masked', () => {
    const r = cli(
      [
        'check',
        'db-connection',
        '--explain',
        '--runbook',
        'runbook.yaml',
        '--env',
        'production',
        '--state-dir',
        tempDir(),
      ],
      {
        PGHOST: '127.0.0.1',
        PGPORT: '1',
        PGPASSWORD: 'S3cret-pg',
        DB_USER: 'alice',
        DATABASE_URL: '',
      },
    );
    expect(r.stderr).toMatch(/host {6}127\.0\.0\.1 +from env PGHOST/);
    expect(r.stderr).toMatch(/port {6}1 +from env PGPORT/);
    expect(r.stderr).toMatch(/user {6}alice +from env DB_USER/);
    expect(r.stderr).toMatch(/password {2}\*\*\* +from env PGPASSWORD/);
    expect(r.stderr + r.stdout).not.toContain('S3cret-pg');
  });
});

describe('a server that does not answer as PostgreSQL', () => {
  const rb = (port: number) =>
    `id: np\ntitle: NP\nversion: 1\nconnections:\n  main: { host: 127.0.0.1, port: ${port}, user: u, database: d, password: p, connect_timeout_ms: 1500 }\nchecks:\n  db: { type: pg.connection }\nphases:\n  - id: p\n    title: P\n    steps: [{ id: s, kind: check, title: x, check: db }]\n`;
  const serve = (onConn: (c: import('node:net').Socket) => void) =>
    new Promise<import('node:net').Server>((r) => {
      const s = createServer(onConn);
      s.listen(0, '127.0.0.1', () => r(s));
    });

  it.each([
    [
      'an HTTP server',
      (c: import('node:net').Socket) => c.once('data', () => c.end('HTTP/1.1 400 Bad Request\r\n\r\n')),
      /is not PostgreSQL: it answered "HTTP\/1\.1 400 Bad Request"/,
    ],
    [
      'an SSH server',
      (c: import('node:net').Socket) => c.write('SSH-2.0-OpenSSH_9.6\r\n'),
      /is not PostgreSQL: it answered "SSH-2\.0-OpenSSH_9\.6"/,
    ],
    [
      'a server that closes at once',
      (c: import('node:net').Socket) => c.destroy(),
      /closed the connection without a PostgreSQL answer/,
    ],
    ['a server that says nothing', () => {}, /accepted the connection and never answered as PostgreSQL/],
  ])('%s is named as such, within its timeout', async (_n, onConn, message) => {
    const srv = await serve(onConn as (c: import('node:net').Socket) => void);
    const dir = tempDir();
    writeFileSync(join(dir, 'rb.yaml'), rb((srv.address() as { port: number }).port));
    try {
      // not spawnSync: the server lives in this process and must answer meanwhile
      const r = await cliAsync(['check', 'db', '--runbook', join(dir, 'rb.yaml'), '--state-dir', join(dir, 's')]).done;
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(message);
      expect(r.stdout).toMatch(/hint: check DB_HOST and DB_PORT/);
    } finally {
      srv.close();
    }
  });
});

describe('commands and silent servers', () => {
  const rb = `id: to\ntitle: TO\nversion: 1\nphases:\n  - id: p\n    title: P\n    steps:\n      - { id: s, kind: command, title: x, run: [sh, -c, 'echo "t=$PGCONNECT_TIMEOUT"'], expect: '^t=\\d+$' }\n`;
  it('commands get PGCONNECT_TIMEOUT=10 unless the environment sets one', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'rb.yaml'), rb);
    const base = ['run', '--non-interactive', '--yes', '--runbook', join(dir, 'rb.yaml')];
    expect(cli([...base, '--state-dir', join(dir, 'a')], { PGCONNECT_TIMEOUT: '' }).stdout).toMatch(
      /output matched \/\^t=\\d\+\$\/: "t=10"/,
    );
    expect(cli([...base, '--state-dir', join(dir, 'b')], { PGCONNECT_TIMEOUT: '3' }).stdout).toMatch(/"t=3"/);
  });
});
