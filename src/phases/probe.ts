// A continuous availability probe: while a session is open, each of the runbook's probes asks
// its endpoint every interval and keeps what a health check run once after each restart
// cannot see — the seconds in between. Outage windows and periodic summaries go to the audit
// log, where the success criteria and the report read them.
import type { Runbook } from '../runbook/schema.js';
import { parseDuration } from '../runbook/duration.js';

export type ProbeDef = NonNullable<Runbook['probes']>[string];

/** An outage: from the first failed answer to the next good one. */
export interface ProbeWindow {
  probe: string;
  start: string;
  end: string;
  ms: number;
  failed: number;
  firstError: string;
  /** the step that was running when it began */
  during?: string;
}

/** What a probe saw over a span of time. */
export interface ProbeSummary {
  probe: string;
  from: string;
  to: string;
  ok: number;
  failed: number;
  maxLatencyMs: number;
}

export interface ProbeHooks {
  onWindow: (w: ProbeWindow) => void;
  onSummary: (s: ProbeSummary) => void;
  /** the step running now, to align a window with it */
  during: () => string | undefined;
}

const at = (path: string, v: unknown): unknown =>
  path
    .split('.')
    .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), v);

/**
 * One answer judged: undefined when good, else what was wrong. A kept-alive socket the server
 * closed just as the request went out is retried once, as any HTTP client retries a GET.
 */
export async function probeOnce(def: ProbeDef, timeoutMs: number, retried = false): Promise<string | undefined> {
  const problem = await askOnce(def, timeoutMs);
  if (!retried && (problem === 'UND_ERR_SOCKET' || problem === 'ECONNRESET')) return probeOnce(def, timeoutMs, true);
  return problem;
}

async function askOnce(def: ProbeDef, timeoutMs: number): Promise<string | undefined> {
  try {
    const r = await fetch(def.url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { 'user-agent': 'waymark-probe' },
    });
    const text = await r.text();
    if (r.status !== def.expect_status) return `HTTP ${r.status}, expected ${def.expect_status}`;
    for (const [path, want] of Object.entries(def.expect_json ?? {})) {
      let got: unknown;
      try {
        got = at(path, JSON.parse(text));
      } catch {
        return 'the answer is not JSON';
      }
      if (got !== want) return `${path} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
    }
    return undefined;
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    return err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.message);
  }
}

/** Answers in one second of the recent past, for a live timeline. */
export interface ProbeSecond {
  ok: number;
  failed: number;
}

/** Everything one probe saw since this session started it. */
export interface ProbeTotals {
  since: number;
  ok: number;
  failed: number;
  outages: number;
  longestMs: number;
}

/** Seconds of the recent past a probe remembers, for the monitor's timeline. */
const KEEP_SECONDS = 600;

export class Prober {
  private timer?: NodeJS.Timeout;
  private readonly bySecond = new Map<number, ProbeSecond>();
  private readonly all: ProbeTotals = { since: Date.now(), ok: 0, failed: 0, outages: 0, longestMs: 0 };
  private stopped = false;
  private down?: { start: number; failed: number; firstError: string; during?: string };
  private span = { from: Date.now(), ok: 0, failed: 0, maxLatencyMs: 0 };
  private readonly intervalMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly id: string,
    private readonly def: ProbeDef,
    private readonly hooks: ProbeHooks,
  ) {
    this.intervalMs = parseDuration(def.interval) ?? 250;
    this.timeoutMs = parseDuration(def.timeout) ?? 2000;
  }

  /** up, or down since when */
  get status(): { up: boolean; downForMs?: number } {
    return this.down ? { up: false, downForMs: Date.now() - this.down.start } : { up: true };
  }

  /** Since the session started it: answers, failures, outages and the longest (an open one counts). */
  get totals(): ProbeTotals {
    const open = this.down ? Date.now() - this.down.start : 0;
    return {
      ...this.all,
      outages: this.all.outages + (this.down ? 1 : 0),
      longestMs: Math.max(this.all.longestMs, open),
    };
  }

  /** The last `seconds` seconds, oldest first; a second with no answer is undefined. */
  recent(seconds: number, now = Date.now()): Array<ProbeSecond | undefined> {
    // complete seconds only: the one under way may have no answer yet, and would show as a gap
    const last = Math.floor(now / 1000) - 1;
    return Array.from({ length: seconds }, (_, i) => this.bySecond.get(last - seconds + 1 + i));
  }

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      const t0 = Date.now();
      const problem = await probeOnce(this.def, this.timeoutMs);
      this.record(t0, Date.now() - t0, problem);
      if (!this.stopped) this.timer = setTimeout(() => void tick(), Math.max(0, this.intervalMs - (Date.now() - t0)));
      this.timer?.unref?.();
    };
    void tick();
  }

  private record(t0: number, latency: number, problem: string | undefined): void {
    if (this.stopped) return;
    const sec = Math.floor(t0 / 1000);
    const b = this.bySecond.get(sec) ?? { ok: 0, failed: 0 };
    if (problem) b.failed++;
    else b.ok++;
    this.bySecond.set(sec, b);
    this.bySecond.delete(sec - KEEP_SECONDS);
    if (problem) this.all.failed++;
    else this.all.ok++;
    if (problem) {
      this.span.failed++;
      this.down ??= { start: t0, failed: 0, firstError: problem, during: this.hooks.during() };
      this.down.failed++;
      return;
    }
    this.span.ok++;
    this.span.maxLatencyMs = Math.max(this.span.maxLatencyMs, latency);
    if (this.down) this.closeWindow(t0);
  }

  private closeWindow(end: number): void {
    const d = this.down!;
    this.down = undefined;
    this.all.outages++;
    this.all.longestMs = Math.max(this.all.longestMs, end - d.start);
    this.hooks.onWindow({
      probe: this.id,
      start: new Date(d.start).toISOString(),
      end: new Date(end).toISOString(),
      ms: end - d.start,
      failed: d.failed,
      firstError: d.firstError,
      during: d.during,
    });
  }

  /** Writes what was seen since the last summary; an outage still open goes on (it is closed at stop). */
  flush(closeOpen = false): void {
    const now = Date.now();
    if (closeOpen && this.down) this.closeWindow(now);
    const s = this.span;
    if (s.ok + s.failed)
      this.hooks.onSummary({
        probe: this.id,
        from: new Date(s.from).toISOString(),
        to: new Date(now).toISOString(),
        ok: s.ok,
        failed: s.failed,
        maxLatencyMs: s.maxLatencyMs,
      });
    this.span = { from: now, ok: 0, failed: 0, maxLatencyMs: 0 };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.flush(true);
  }
}
