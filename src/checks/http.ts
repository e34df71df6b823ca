import { z } from 'zod';
import { type CheckOutcome, defineCheck, type Metric } from './types.js';

export const httpCheck = defineCheck({
  type: 'http',
  description: 'An HTTP request: status, latency (p50/p95 over samples), JSON body assertions',
  params: z
    .object({
      url: z.string(),
      method: z.string().default('GET'),
      headers: z.record(z.string(), z.string()).default({}),
      body: z.unknown().optional(),
      expect_status: z.union([z.number().int(), z.array(z.number().int())]).default(200),
      json: z
        .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
        .default({})
        .describe('dotted path → expected value'),
      samples: z.number().int().positive().max(1000).default(1),
      warmup: z
        .number()
        .int()
        .nonnegative()
        .max(100)
        .default(0)
        .describe('requests sent first and not measured (connection pools, caches)'),
      max_latency_ms: z.number().positive().optional(),
    })
    .strict(),
  defaultTimeoutMs: 10_000,
  async run(p, ctx): Promise<CheckOutcome> {
    const latencies: number[] = [];
    let status = 0;
    let body: unknown;
    const expected = Array.isArray(p.expect_status) ? p.expect_status : [p.expect_status];
    const shownUrl = ctx.redactor.redact(p.url);
    try {
      for (let i = 0; i < p.warmup + p.samples; i++) {
        const t0 = performance.now();
        const res = await fetch(p.url, {
          method: p.method,
          headers: { ...(p.body !== undefined ? { 'content-type': 'application/json' } : {}), ...p.headers },
          body: p.body === undefined ? undefined : typeof p.body === 'string' ? p.body : JSON.stringify(p.body),
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(ctx.timeoutMs)]),
        });
        const text = await res.text();
        if (i >= p.warmup) latencies.push(performance.now() - t0);
        status = res.status;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const reason =
        err.name === 'TimeoutError' || err.name === 'AbortError'
          ? `no answer within ${ctx.timeoutMs} ms`
          : err.cause?.code === 'ECONNREFUSED'
            ? 'connection refused (is the app running?)'
            : err.cause?.code === 'ENOTFOUND'
              ? 'host not found'
              : `${err.message}${err.cause?.message ? `: ${err.cause.message}` : ''}`;
      return {
        status: 'fail',
        summary: `${p.method} ${shownUrl}: ${reason}`,
        metrics: { http_status: null },
        hint: 'check the app is running and the URL (API_URL) is right',
      };
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
    const metrics: Record<string, Metric> = {
      http_status: status,
      latency_ms: pct(0.5),
      p95_ms: pct(0.95),
      samples: latencies.length,
    };
    const problems: string[] = [];
    if (!expected.includes(status)) problems.push(`status ${status}, expected ${expected.join(' or ')}`);
    for (const [path, want] of Object.entries(p.json)) {
      const got = path
        .split('.')
        .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), body);
      if (String(got) !== String(want))
        problems.push(`${path} = ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      else metrics[path] = got as Metric;
    }
    if (p.max_latency_ms && pct(0.95) > p.max_latency_ms) problems.push(`p95 ${pct(0.95)} ms > ${p.max_latency_ms} ms`);
    const thresholds: Record<string, string> = { http_status: expected.join(' | ') };
    if (p.max_latency_ms) thresholds.p95_ms = `<= ${p.max_latency_ms}`;
    for (const [k, v] of Object.entries(p.json)) thresholds[k] = `= ${JSON.stringify(v)}`;
    const preview = typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body).slice(0, 200);
    return {
      status: problems.length ? 'fail' : 'pass',
      summary: problems.length
        ? `${p.method} ${shownUrl}: ${problems.join('; ')}`
        : `${p.method} ${shownUrl}: ${status} in ${metrics.latency_ms} ` +
          `ms${p.samples > 1 ? ` (p95 ${metrics.p95_ms} ms over ${p.samples})` : ''}`,
      metrics,
      thresholds,
      evidence: [{ columns: ['response body (start)'], rows: [[ctx.redactor.redact(preview ?? '')]] }],
    };
  },
});

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
