import { describe, it, expect } from 'vitest';
import { markRuns, probeView } from '../../src/screens/probe-view.js';

describe('the monitor view of a probe', () => {
  it('groups seconds into runs of one kind: up, down, some failed, no answer', () => {
    const s = (ok: number, failed: number) => ({ ok, failed });
    expect(markRuns([undefined, s(4, 0), s(4, 0), s(2, 2), s(0, 4), s(0, 4), s(4, 0)])).toEqual([
      { kind: 'none', count: 1 },
      { kind: 'up', count: 2 },
      { kind: 'mixed', count: 1 },
      { kind: 'down', count: 2 },
      { kind: 'up', count: 1 },
    ]);
  });
  it('says what the probe saw since it started, and for how long it is down', () => {
    const since = Date.parse('2026-11-26T04:12:01Z');
    const up = probeView('app', { up: true }, { since, ok: 400, failed: 0, outages: 0, longestMs: 0 }, []);
    expect(up).toMatchObject({ now: 'up', totals: '400 answers, 0 failed (100.00 %) since 04:12:01 UTC · no outage' });
    const down = probeView(
      'app',
      { up: false, downForMs: 2300 },
      { since, ok: 400, failed: 12, outages: 2, longestMs: 2300 },
      [],
    );
    expect(down).toMatchObject({
      up: false,
      now: 'DOWN for 2.3 s',
      totals: '412 answers, 12 failed (97.09 %) since 04:12:01 UTC · 2 outages, longest 2.3 s',
    });
  });
});

describe('the prober timeline', () => {
  it('shows complete seconds only: the one under way, with no answer yet, is not drawn as a gap', async () => {
    const { Prober } = await import('../../src/phases/probe.js');
    const p = new Prober(
      'app',
      { url: 'http://127.0.0.1:9/h', expect_status: 200, interval: '100ms', timeout: '1s' },
      { onWindow: () => {}, onSummary: () => {}, during: () => undefined },
    );
    // answers in each of the last three seconds, up to one just before "now"
    const S = 1_800_000_000;
    const now = S * 1000 + 500;
    const rec = (p as unknown as { record(t0: number, latency: number, problem?: string): void }).record.bind(p);
    for (const sec of [S - 3, S - 2, S - 1]) rec(sec * 1000 + 200, 5, undefined);
    const recent = p.recent(3, now);
    expect(recent.map((s) => (s ? s.ok : 0))).toEqual([1, 1, 1]);
    // the second under way (now's) is left out, even once it has an answer
    rec(S * 1000 + 100, 5, undefined);
    expect(p.recent(1, now)).toEqual([{ ok: 1, failed: 0 }]);
  });
});
