// waymark serve: the run, read-only, in a browser (live), its reports and audit log, and /metrics
// for Prometheus. It takes not the run's lock, writes nothing to its state, starts no probes of its own.
import { randomBytes } from 'node:crypto';
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { load, out, sessionOptions } from './common.js';

export const DEFAULT_PORT = 7320;

export async function serveCommand(a: ParsedArgs): Promise<number> {
  const host = (a.flags.host as string | undefined) ?? '127.0.0.1';
  const port = a.flags.port === undefined ? DEFAULT_PORT : Number(a.flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${String(a.flags.port)}: a port number`);
  // a token given on the command line would be read by any user of the machine (ps): --token makes one
  const token = process.env.WAYMARK_SERVE_TOKEN || (a.flags.token ? randomBytes(18).toString('base64url') : undefined);
  const { isLoopback, WatchServer } = await import('../serve/server.js');
  if (!isLoopback(host) && !token)
    throw new UsageError(
      `--host ${host}: anyone who reaches that address would see the run; add --token (a new one is made and ` +
        'put in the URL) or set WAYMARK_SERVE_TOKEN',
    );
  const lr = await load(a);
  const { Session } = await import('../phases/session.js');
  const session = new Session(lr, { ...sessionOptions(a, true), follow: true, noProbes: true });
  if (session.isNew) {
    await session.close();
    throw new UsageError(`there is no run of "${lr.runbook.title}" to watch yet: start it first (waymark run)`);
  }
  const server = new WatchServer(session, { host, port, token });
  let url: string;
  try {
    url = await server.listen();
  } catch (e) {
    await session.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new UsageError(`port ${port} on ${host} is taken: give --port N (0: any free one)`);
    throw e;
  }
  out(`watching "${lr.runbook.title}" (run ${session.state.runId.slice(0, 8)}), read-only, at ${url}`);
  out('  /metrics for Prometheus; Ctrl-C stops (the run goes on)');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await session.close();
  return 0;
}
