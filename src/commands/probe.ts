// `waymark probe`: the runbook's availability probes on their own, for the hours when no
// session is open (the 24 h wait): what they see goes to the same run's audit log.
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { openSession, out } from './common.js';

export async function probeCommand(a: ParsedArgs): Promise<number> {
  const seconds = a.flags.seconds === undefined ? undefined : Number(a.flags.seconds);
  if (seconds !== undefined && !(seconds > 0))
    throw new UsageError('--seconds takes a number of seconds greater than 0');
  const session = await openSession(a);
  try {
    if (!session.probes.length) {
      out('this runbook declares no probes (probes: in runbook.yaml)');
      return 2;
    }
    // its metrics without a run walked: the same /metrics (and page) as `waymark serve`, on loopback
    const port = a.flags['metrics-port'] === undefined ? undefined : Number(a.flags['metrics-port']);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536))
      throw new UsageError('--metrics-port takes a port number (0: any free one)');
    const { WatchServer } = await import('../serve/server.js');
    const server = port === undefined ? undefined : new WatchServer(session, { host: '127.0.0.1', port });
    if (server) out(`metrics at ${await server.listen()}metrics`);
    out(
      `probing ${session.probes.map((p) => p.id).join(', ')} for run ` +
        `${session.state.runId.slice(0, 8)}${seconds ? ` for ${seconds} s` : ' until Ctrl-C'}; outages go to ` +
        `the audit log`,
    );
    // a line when a probe goes down and when it is back: the outage itself is in the audit log
    const was = new Map(session.probes.map((p) => [p.id, true]));
    const watch = setInterval(() => {
      for (const p of session.probes) {
        const { up, downForMs } = p.status;
        if (up !== was.get(p.id))
          out(
            `${new Date().toISOString()} ${p.id} ` +
              `${up ? 'up again' : `DOWN for ${((downForMs ?? 0) / 1000).toFixed(1)} s`}`,
          );
        was.set(p.id, up);
      }
    }, 200);
    const off = () => clearInterval(watch);
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
      if (seconds) setTimeout(done, seconds * 1000);
    });
    off();
    await server?.close();
    return 0;
  } finally {
    await session.close();
    out('probes stopped; their record is in the audit log (waymark audit)');
  }
}
