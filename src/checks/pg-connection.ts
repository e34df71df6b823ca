import { z } from 'zod';
import { type CheckOutcome, defineCheck } from './types.js';
import { classifyPgError, describeTarget } from './pg.js';

export const pgConnectionCheck = defineCheck({
  type: 'pg.connection',
  description: 'Connects, runs SELECT now(), reports server version and round-trip latency',
  params: z.object({ max_latency_ms: z.number().positive().default(1000) }).strict(),
  defaultTimeoutMs: 10_000,
  async run(p, ctx): Promise<CheckOutcome> {
    const name = ctx.connections.pick(ctx.connection);
    const target = describeTarget(ctx.connectionDefs[name]);
    const where = `${target.user ? target.user + '@' : ''}${target.host}:${target.port}/${target.database}`;
    const started = performance.now();
    try {
      const t0 = performance.now();
      const row = await ctx.connections.readOnly(name, { timeoutMs: ctx.timeoutMs, signal: ctx.signal }, async (c) => {
        const q0 = performance.now();
        const r = await c.query<{ now: Date; version: string }>(
          "SELECT now() AS now, current_setting('server_version') AS version",
        );
        return { ...r.rows[0], rtt: performance.now() - q0 };
      });
      const total = performance.now() - t0;
      const slow = row.rtt > p.max_latency_ms;
      return {
        status: slow ? 'warn' : 'pass',
        summary:
          `connected to ${where}: PostgreSQL ${row.version}, server time ${row.now.toISOString()}, ` +
          `round trip ${row.rtt.toFixed(1)} ms`,
        metrics: {
          server_version: row.version,
          server_time: row.now.toISOString(),
          latency_ms: round(row.rtt),
          connect_ms: round(total),
        },
        thresholds: { latency_ms: `<= ${p.max_latency_ms}` },
      };
    } catch (e) {
      const f = classifyPgError(e);
      // no PostgreSQL error came back: is it PostgreSQL at all? Asked within what is left of the timeout.
      const left = ctx.timeoutMs - (performance.now() - started) - 200;
      if ((f.kind === 'timeout' || f.kind === 'other') && left >= 300 && Number(target.port) > 0) {
        const { notPostgres } = await import('./pg-protocol.js');
        const other = await notPostgres(target.host, Number(target.port), Math.min(left, 1000));
        if (other)
          return {
            status: 'fail',
            summary: `cannot connect to ${where}: ${other.message}`,
            metrics: { failure: other.silent ? 'timeout' : 'not-postgres' },
            hint: other.hint,
          };
      }
      return {
        status: 'fail',
        summary: `cannot connect to ${where}: ${ctx.redactor.redact(f.message)}`,
        metrics: { failure: f.kind },
        hint: f.hint,
      };
    }
  },
});

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
