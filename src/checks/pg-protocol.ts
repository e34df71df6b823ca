// Is it PostgreSQL at all? When a connection fails without a PostgreSQL error, the operator
// needs to know whether the port is right. We send the 8-byte SSLRequest every PostgreSQL
// server answers with one byte, 'S' or 'N' (or an 'E' error from a very old one), and look
// at what comes back: an HTTP error, an SSH banner, a close, or silence.
import { connect } from 'node:net';

export type Protocol =
  | { kind: 'postgres' }
  | { kind: 'other'; said: string }
  | { kind: 'closed' }
  | { kind: 'silent'; ms: number }
  | { kind: 'unreachable'; why: string };

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

export function probeProtocol(host: string, port: number, ms = 2000): Promise<Protocol> {
  return new Promise((res) => {
    const sock = connect({ host, port });
    let got = Buffer.alloc(0);
    const done = (p: Protocol) => {
      clearTimeout(timer);
      sock.destroy();
      res(p);
    };
    const judge = () => {
      if (got.length === 1 && 'SNE'.includes(String.fromCharCode(got[0]))) return done({ kind: 'postgres' });
      if (got.length && got[0] === 0x45 /* E */ && got.length >= 5) return done({ kind: 'postgres' });
      done({ kind: 'other', said: printable(got) });
    };
    const timer = setTimeout(() => (got.length ? judge() : done({ kind: 'silent', ms })), ms);
    sock.once('connect', () => sock.write(SSL_REQUEST));
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]).subarray(0, 200);
      // one byte is a whole PostgreSQL answer; give anything else a moment to say more
      if (got.length === 1 && 'SN'.includes(String.fromCharCode(got[0]))) judge();
      else setTimeout(judge, 50);
    });
    sock.once('end', () => (got.length ? judge() : done({ kind: 'closed' })));
    sock.once('error', (e: NodeJS.ErrnoException) => {
      if (got.length) judge();
      // reset after it accepted us: closed without a word, like an end
      else if (e.code === 'ECONNRESET' || e.code === 'EPIPE') done({ kind: 'closed' });
      else done({ kind: 'unreachable', why: e.code ?? e.message });
    });
  });
}

function printable(b: Buffer): string {
  const text = b.toString('latin1').split(/\r?\n/)[0];
  return text.replace(/[^\x20-\x7e]/g, '·').slice(0, 60);
}

/** A sentence for a failed connection that PostgreSQL itself did not explain, or undefined. */
export async function notPostgres(
  host: string,
  port: number,
  ms = 2000,
): Promise<{ message: string; hint: string; silent?: boolean } | undefined> {
  const p = await probeProtocol(host, port, ms);
  const where = `${host}:${port}`;
  const hint = 'check DB_HOST and DB_PORT: another service listens there, or a firewall or proxy stands between';
  if (p.kind === 'other') return { message: `the server at ${where} is not PostgreSQL: it answered "${p.said}"`, hint };
  if (p.kind === 'closed')
    return {
      message:
        `the server at ${where} closed the connection without a PostgreSQL answer: it is not ` +
        `PostgreSQL, or a proxy refused us`,
      hint,
    };
  if (p.kind === 'silent')
    return {
      message:
        `the server at ${where} accepted the connection and never answered as PostgreSQL: not ` +
        `PostgreSQL, or a firewall or proxy holding it`,
      hint,
      silent: true,
    };
  return undefined;
}
