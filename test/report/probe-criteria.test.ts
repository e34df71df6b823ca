// Zero downtime is judged on what the probe saw the whole time, not on a health check after each restart.
import { describe, it, expect } from 'vitest';
import { loadRunbookText } from '../../src/load/loader.js';
import { buildReport } from '../../src/report/build.js';
import { Redactor } from '../../src/runbook/redact.js';
import type { AuditEntry } from '../../src/state/audit.js';
import { freshState, T0 } from '../helpers/engine.js';

const rb = loadRunbookText(
  `id: t
title: T
version: 1
probes:
  app: { url: 'http://127.0.0.1:9/health' }
phases:
  - id: a
    title: A
    steps:
      - { id: m, kind: manual, title: M }
success:
  - { id: zero, criterion: Zero downtime, probe: app, max_outage: 0s, availability: 100 }
`,
  '/tmp/probe-criteria.yaml',
  { env: {} },
).runbook;

const iso = (s: number) => new Date(T0.getTime() + s * 1000).toISOString();
const state = {
  ...freshState(),
  phases: { a: { status: 'signed-off' as const, startedAt: iso(0), signedOffAt: iso(60), overrides: [] } },
};
const entry = (event: string, data: unknown, s: number): AuditEntry => ({
  seq: 1,
  at: iso(s),
  operator: 'o',
  host: 'h',
  event,
  data,
  prev: '',
});
const summary = (from: number, to: number, ok: number, failed: number) =>
  entry('probe.summary', { probe: 'app', from: iso(from), to: iso(to), ok, failed, maxLatencyMs: 3 }, to);
const report = (audit: AuditEntry[]) =>
  buildReport(
    { runbook: rb, runbookHash: 'h', state, redactor: new Redactor([]), audit, now: new Date(T0.getTime() + 120_000) },
    { all: true },
  ).success![0];

describe('a success criterion over probe data', () => {
  it('is met when the probe answered well the whole time the phase ran', () => {
    const r = report([summary(0, 30, 120, 0), summary(30, 61, 124, 0)]);
    expect(r.status).toBe('met');
    expect(r.evidence[0]).toBe('probe app: 244 answers, 0 failed (100.00 % available), longest outage 0.0 s');
  });
  it('is NOT MET by an outage, which it names with the step it fell in', () => {
    const out = entry(
      'probe.outage',
      {
        probe: 'app',
        start: iso(20),
        end: iso(22.1),
        ms: 2100,
        failed: 9,
        firstError: 'ECONNREFUSED',
        during: 'a/restart',
      },
      22,
    );
    const r = report([summary(0, 30, 111, 9), out, summary(30, 61, 124, 0)]);
    expect(r.status).toBe('not met');
    expect(r.failedBy).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/probe app: 96\.\d+ % available, 100 % required/),
        `probe app: outage of 2.1 s from ${iso(20)} during step a/restart (9 failed: ECONNREFUSED)`,
      ]),
    );
  });
  it('says so where there is no probe data for a phase, instead of "met"', () => {
    const r = report([]);
    expect(r.status).toBe('not met');
    expect(r.failedBy).toContain('probe app: no probe data while "A" ran — nothing shows it was available then');
  });
});

describe('waymark probe', () => {
  it("probes with no session open and records the outage, with a summary, in the run's audit log", async () => {
    const { createServer } = await import('node:http');
    const { writeFileSync, readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tempDir } = await import('../helpers/tmp.js');
    const { cliAsync } = await import('../helpers/cli.js');
    const server = createServer((_, res) => res.end(JSON.stringify({ status: 'ok' })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const dir = tempDir();
    const file = join(dir, 'runbook.yaml');
    writeFileSync(
      file,
      `id: p\ntitle: P\nversion: 1\nprobes:\n  app: { url: 'http://127.0.0.1:${port}/h', expect_json: { status: ok }, interval: 100ms }\nphases:\n  - { id: a, title: A, steps: [{ id: m, kind: manual, title: M }] }\n`,
    );
    const env = { WAYMARK_STATE_DIR: tempDir(), WAYMARK_OPERATOR: 'tester' };
    const run = cliAsync(['probe', '--runbook', file, '--seconds', '3'], env);
    await run.waitFor(/probing app for run/);
    await new Promise((r) => setTimeout(r, 800));
    server.closeAllConnections();
    server.close();
    await run.waitFor(/app DOWN for/);
    const res = await run.done;
    expect(res.code).toBe(0);
    const runs = join(env.WAYMARK_STATE_DIR, 'runs');
    const audit = readFileSync(
      join(
        runs,
        readdirSync(runs).find((f) => f.endsWith('.audit.jsonl'))!,
      ),
      'utf8',
    )
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const outage = audit.find((e) => e.event === 'probe.outage');
    expect(outage.data).toMatchObject({ probe: 'app', failed: expect.any(Number) });
    expect(outage.data.ms).toBeGreaterThan(1000);
    expect(audit.some((e) => e.event === 'probe.summary' && e.data.ok > 0 && e.data.failed > 0)).toBe(true);
  });
});

describe('commands that only read or record the run', () => {
  it('report and reopen probe nothing: a stopped system is no outage in the record', async () => {
    const { writeFileSync, readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tempDir } = await import('../helpers/tmp.js');
    const { cli } = await import('../helpers/cli.js');
    const { freePort } = await import('../../src/pg/embedded.js');
    const dir = tempDir();
    const file = join(dir, 'runbook.yaml');
    // nothing listens on the probed port: any probe answer would be a failure
    writeFileSync(
      file,
      `id: p\ntitle: P\nversion: 1\nprobes:\n  app: { url: 'http://127.0.0.1:${await freePort()}/h', interval: 50ms }\n` +
        `phases:\n  - { id: a, title: A, steps: [{ id: m, kind: manual, title: M }] }\n`,
    );
    const env = { WAYMARK_STATE_DIR: tempDir(), WAYMARK_OPERATOR: 'tester' };
    expect(cli(['run', '--runbook', file, '--non-interactive', '--yes'], env).code).toBe(0);
    const runs = join(env.WAYMARK_STATE_DIR, 'runs');
    const auditFile = join(
      runs,
      readdirSync(runs).find((f) => f.endsWith('.audit.jsonl'))!,
    );
    const probeLines = () =>
      readFileSync(auditFile, 'utf8')
        .split('\n')
        .filter((l) => /"probe\.(outage|summary)"/.test(l)).length;
    const before = probeLines();
    expect(
      cli(['report', '--all', '--format', 'json', '--runbook', file, '--out', join(dir, 'r.json')], env).code,
    ).toBe(0);
    expect(cli(['reopen', '--phase', 'a', '--reason', 'checking the record again', '--runbook', file], env).code).toBe(
      0,
    );
    expect(probeLines()).toBe(before);
  });
});

describe('the availability timeline of a phase', () => {
  it('draws the probe record, the outage and the command steps, with the numbers beside it', async () => {
    const { timeline } = await import('../../src/report/render-html.js');
    const out = entry(
      'probe.outage',
      { probe: 'app', start: iso(20), end: iso(22.1), ms: 2100, failed: 9, firstError: 'ECONNREFUSED', during: 'a/m' },
      22,
    );
    const body = buildReport(
      {
        runbook: rb,
        runbookHash: 'h',
        state,
        redactor: new Redactor([]),
        audit: [summary(0, 30, 111, 9), out, summary(30, 61, 124, 0)],
        now: T0,
      },
      { phase: 'a' },
    );
    const a = body.phases[0].availability!;
    expect(a.spans).toHaveLength(2);
    expect(a.outages).toEqual([expect.objectContaining({ ms: 2100, during: 'a/m' })]);
    const svg = timeline(a);
    expect(svg).toMatch(/^<figure class="timeline"><svg /);
    expect(svg).toMatch(/fill="#a00"><title>outage 2\.1 s from [^<]+: ECONNREFUSED<\/title>/);
    // the failures are the outage, drawn dark on the bar: the spans around it are green
    expect(svg.match(/fill="#5cb85c"/g)).toHaveLength(2);
    expect(svg).not.toMatch(/fill="#d9534f"/);
    expect(svg).not.toMatch(/<span/);
    // failures with no outage to show them (the record lacks it) are red, never green
    const lost = buildReport(
      {
        runbook: rb,
        runbookHash: 'h',
        state,
        redactor: new Redactor([]),
        audit: [summary(0, 30, 111, 9), summary(30, 61, 124, 0)],
        now: T0,
      },
      { phase: 'a' },
    );
    expect(timeline(lost.phases[0].availability!).match(/fill="#d9534f"/g)).toHaveLength(1);
  });
});
