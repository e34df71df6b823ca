// Runs one check of a runbook: params validated, timeout and abort honoured,
// baseline recorded or compared, and the result never throws.
import type { CheckDef } from '../runbook/schema.js';
import type { CheckContext, CheckResult, Metric } from './types.js';
import { checkLoaders } from './check-loaders.js';
import { parseDuration } from '../runbook/duration.js';

type Base = Omit<CheckContext, 'signal' | 'timeoutMs' | 'connection'>;

/**
 * Runs the check; a baseline comparison with `confirm: N` that fails is measured again up to N
 * times and fails only when each measurement does. Passing after one that did not, it says so.
 */
export async function runCheck(
  id: string,
  def: CheckDef,
  base: Base,
  signal?: AbortSignal,
  now: () => Date = () => new Date(),
): Promise<CheckResult> {
  const confirm = typeof def.baseline === 'object' ? (def.baseline.confirm ?? 0) : 0;
  const first = await runOnce(id, def, base, signal, now);
  const over: CheckResult[] = [];
  let r = first;
  while (
    r.status === 'fail' &&
    r.summary.startsWith('against baseline: ') &&
    over.length < confirm &&
    !signal?.aborted
  ) {
    over.push(r);
    r = await runOnce(id, def, base, signal, now);
  }
  if (!over.length) return r;
  const durationMs = over.reduce((n, x) => n + x.durationMs, r.durationMs);
  const earlier = over.map((x) => x.summary.replace(/^against baseline: /, '')).join('; ');
  const were = over.length === 1 ? 'one earlier measurement was' : `${over.length} earlier were`;
  const summary =
    r.status === 'fail'
      ? `${r.summary} (measured ${over.length + 1} times, over the limit each time)`
      : `${r.summary} (measured again: ${were} over the limit and did not reproduce: ${earlier})`;
  return {
    ...r,
    startedAt: first.startedAt,
    durationMs,
    summary,
    metrics: { ...r.metrics, measurements: over.length + 1 },
  };
}

async function runOnce(
  id: string,
  def: CheckDef,
  base: Base,
  signal?: AbortSignal,
  now: () => Date = () => new Date(),
): Promise<CheckResult> {
  // The session's clock, so gate freshness and wait gates agree when a rehearsal moves time forward.
  const startedAt = now().toISOString();
  const t0 = performance.now();
  const type = await checkLoaders[def.type]?.();
  const finish = (
    r: Omit<CheckResult, 'id' | 'type' | 'startedAt' | 'durationMs' | 'thresholds'> & {
      thresholds?: Record<string, string>;
    },
  ): CheckResult => ({
    id,
    type: def.type,
    title: def.title,
    startedAt,
    durationMs: Math.round(performance.now() - t0),
    thresholds: {},
    ...r,
    summary: base.redactor.redact(r.summary),
  });
  if (!type) return finish({ status: 'error', summary: `unknown check type "${def.type}"`, metrics: {} });
  const parsed = type.params.safeParse(def.params ?? {});
  if (!parsed.success)
    return finish({
      status: 'error',
      summary: `bad params: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
      metrics: {},
    });
  const timeoutMs = (def.timeout ? parseDuration(def.timeout) : undefined) ?? type.defaultTimeoutMs ?? 30_000;
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ac.abort(), timeoutMs + 1000);
  try {
    const ctx: CheckContext = { ...base, connection: def.connection, signal: ac.signal, timeoutMs };
    const outcome = await Promise.race([
      type.run(parsed.data, ctx),
      new Promise<never>((_, reject) =>
        ac.signal.addEventListener(
          'abort',
          () => reject(new Error(signal?.aborted ? 'cancelled' : `timed out after ${timeoutMs} ms`)),
          { once: true },
        ),
      ),
    ]);
    const result = finish(base.redactor.redactDeep(outcome));
    return applyBaseline(def, result, base.baselines);
  } catch (e) {
    return finish({ status: 'error', summary: (e as Error).message, metrics: {} });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** json_users and pg_users describe the same entity: baselines match them by what follows the source prefix. */
function metricKey(name: string): string {
  return name.replace(/^(json|pg)_/, '');
}

export function applyBaseline(
  def: CheckDef,
  result: CheckResult,
  baselines: Record<string, Record<string, Metric>>,
): CheckResult {
  if (!def.baseline || def.baseline === 'record' || result.status === 'error') return result;
  const spec = def.baseline;
  const base = baselines[spec.compare];
  if (!base) {
    return {
      ...result,
      status: 'fail',
      summary: `${result.summary} — no baseline recorded yet by "${spec.compare}"`,
      hint: `run check ${spec.compare} first (it records the baseline)`,
    };
  }
  const baseByKey = new Map(Object.entries(base).map(([k, v]) => [metricKey(k), v]));
  const rows: Array<Array<string | number | null>> = [];
  const problems: string[] = [];
  for (const [name, value] of Object.entries(result.metrics)) {
    const key = metricKey(name);
    if (spec.metric && key !== metricKey(spec.metric)) continue;
    const was = baseByKey.get(key);
    if (typeof value !== 'number' || typeof was !== 'number') continue;
    const pct = was === 0 ? (value === 0 ? 0 : 100) : ((value - was) / was) * 100;
    let verdict = 'ok';
    if (spec.equal && value !== was) verdict = `≠ baseline`;
    const withinNoise = spec.max_increase_abs !== undefined && value - was <= spec.max_increase_abs;
    if (spec.max_increase_pct !== undefined && pct > spec.max_increase_pct && !withinNoise)
      verdict =
        `+${pct.toFixed(1)}% > ` +
        `+${spec.max_increase_pct}` +
        `%${spec.max_increase_abs !== undefined ? ` and +${round1(value - was)} > +${spec.max_increase_abs}` : ''}`;
    if (spec.max_decrease_pct !== undefined && -pct > spec.max_decrease_pct)
      verdict = `${pct.toFixed(1)}% < -${spec.max_decrease_pct}%`;
    if (verdict !== 'ok') problems.push(`${key} ${value} vs ${was} (${verdict})`);
    rows.push([key, was, value, Math.round(pct * 10) / 10, verdict]);
  }
  const limits = [
    spec.equal ? 'equal to baseline' : '',
    spec.max_increase_pct !== undefined
      ? `<= baseline + ` +
        `${spec.max_increase_pct}` +
        `%${spec.max_increase_abs !== undefined ? ` (or + ${spec.max_increase_abs} noise floor)` : ''}`
      : '',
    spec.max_decrease_pct !== undefined ? `>= baseline - ${spec.max_decrease_pct}%` : '',
  ].filter(Boolean);
  const limit = limits.length ? `now ${limits.join(' and ')}` : 'compared';
  const evidence = [
    ...(result.evidence ?? []),
    { columns: ['metric', 'baseline', 'now', 'change %', 'verdict'], rows },
  ];
  if (!rows.length)
    return {
      ...result,
      status: 'fail',
      summary: `${result.summary} — no metric in common with baseline "${spec.compare}"`,
      evidence,
    };
  return {
    ...result,
    status: problems.length ? 'fail' : result.status,
    summary: problems.length
      ? `against baseline: ${problems.join('; ')}`
      : `${result.summary} — within baseline (${limit})`,
    // reads as "baseline json-counts-before, now >= baseline - 0%"
    thresholds: { ...result.thresholds, baseline: `${spec.compare}, ${limit}` },
    evidence,
  };
}
