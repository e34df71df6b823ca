// What the monitor shows of an availability probe: a mark a second for the recent past, and
// what the probe saw since the session started it. Pure: built by the controller, rendered
// by MonitorScreen.
import type { ProbeSecond, ProbeTotals } from '../phases/probe.js';

export type MarkKind = 'up' | 'down' | 'mixed' | 'none';

/** Consecutive seconds of one kind, so a screen draws them as one run. */
export interface MarkRun {
  kind: MarkKind;
  count: number;
}

export interface ProbeView {
  id: string;
  up: boolean;
  /** "up" or "DOWN for 2.3 s" */
  now: string;
  marks: MarkRun[];
  /** "412 answers, 3 failed (99.27 %) since 04:12:01 · 1 outage, longest 0.8 s" */
  totals: string;
}

/** The mark of one second, readable without colour: ▁ up, █ down, ▄ some answers failed, space none. */
export const MARK: Record<MarkKind, string> = { up: '▁', down: '█', mixed: '▄', none: ' ' };

const kindOf = (s: ProbeSecond | undefined): MarkKind =>
  !s ? 'none' : s.failed === 0 ? 'up' : s.ok === 0 ? 'down' : 'mixed';

export function markRuns(seconds: Array<ProbeSecond | undefined>): MarkRun[] {
  const runs: MarkRun[] = [];
  for (const s of seconds) {
    const kind = kindOf(s);
    const last = runs[runs.length - 1];
    if (last?.kind === kind) last.count++;
    else runs.push({ kind, count: 1 });
  }
  return runs;
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function probeView(
  id: string,
  status: { up: boolean; downForMs?: number },
  totals: ProbeTotals,
  recent: Array<ProbeSecond | undefined>,
): ProbeView {
  const answers = totals.ok + totals.failed;
  const pct = answers ? ((100 * totals.ok) / answers).toFixed(2) : '—';
  const outages =
    totals.outages === 0
      ? 'no outage'
      : `${totals.outages} outage${totals.outages > 1 ? 's' : ''}, longest ${secs(totals.longestMs)}`;
  return {
    id,
    up: status.up,
    now: status.up ? 'up' : `DOWN for ${secs(status.downForMs ?? 0)}`,
    marks: markRuns(recent),
    totals: `${answers} answers, ${totals.failed} failed (${pct} %) since ${clock(totals.since)} UTC · ${outages}`,
  };
}
