// Webhook notifications: each event reaches a webhook once, with Slack's text and the facts;
// a webhook that is down or never answers holds up no step, and what it missed is in the log.
import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunbook } from '../../src/load/loader.js';
import { Session } from '../../src/phases/session.js';
import { tempDir } from '../helpers/tmp.js';

const TOKEN = 'T0KEN-hooks-secret-4242';

function runbookFile(port: number, extra = ''): string {
  const dir = tempDir();
  const file = join(dir, 'rb.yaml');
  writeFileSync(
    file,
    `id: notify-test
title: Notify test
version: 1
vars:
  HOOK_TOKEN: { default: ${TOKEN}, secret: true }
notify:
  - url: http://127.0.0.1:${port}/hook/\${HOOK_TOKEN}
  - url: http://127.0.0.1:${port}/signoffs-only
    events: [signoff]
${extra}
checks:
  gate-check: { type: file, params: { path: ${dir}/missing } }
  watch: { type: file, params: { path: ${dir}/also-missing } }
monitoring: { checks: [watch] }
phases:
  - id: a
    title: First
    gate: [gate-check]
    steps:
      - { id: run, kind: command, title: Run, run: [sh, -c, 'echo ran'] }
      - { id: so, kind: signoff, title: Sign }
rollback:
  - id: undo
    title: Undo the first phase
    steps:
      - { id: one, kind: manual, title: One }
      - { id: two, kind: manual, title: Two }
`,
  );
  return file;
}

interface Hook {
  server: Server;
  port: number;
  got: Array<{ path: string; body: Record<string, unknown> }>;
  held: ServerResponse[];
}

let hooks: Hook[] = [];
afterEach(async () => {
  for (const h of hooks) {
    for (const r of h.held) r.destroy();
    h.server.closeAllConnections();
    await new Promise((r) => h.server.close(r));
  }
  hooks = [];
});

/** A webhook that answers 200, or holds every request without an answer. */
async function hook(answer: 'ok' | 'never'): Promise<Hook> {
  const h: Hook = { server: undefined as unknown as Server, port: 0, got: [], held: [] };
  h.server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      h.got.push({ path: req.url ?? '', body: JSON.parse(text) as Record<string, unknown> });
      if (answer === 'never') h.held.push(res);
      else res.end('ok');
    });
  });
  await new Promise<void>((r) => h.server.listen(0, '127.0.0.1', r));
  h.port = (h.server.address() as { port: number }).port;
  hooks.push(h);
  return h;
}

const auditOf = (s: Session) =>
  readFileSync(s.paths.audit, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; data?: Record<string, unknown> });

describe('notify: webhooks', () => {
  it('each event reaches each webhook that wants it once, with its text and facts; the URL never shows', async () => {
    const h = await hook('ok');
    const s = new Session(loadRunbook(runbookFile(h.port), { env: {} }), {
      stateDir: tempDir(),
      operator: 'alice',
      noProbes: true,
    });
    expect((await s.runCheck('gate-check')).status).toBe('fail');
    // failing again is the same failure: not told twice
    expect((await s.runCheck('gate-check')).status).toBe('fail');
    expect(
      s.dispatch({ type: 'gate.override', phaseId: 'a', checkId: 'gate-check', reason: 'checked by hand' }).ok,
    ).toBe(true);
    expect((await s.runStep({ type: 'step.start', scope: 'a', stepId: 'run' })).ok).toBe(true);
    expect((await s.runStep({ type: 'step.start', scope: 'a', stepId: 'so' })).ok).toBe(true);
    // a rollback starts only by typing its name
    expect(s.dispatch({ type: 'step.confirm', scope: 'rollback:undo', stepId: 'one', confirmWord: 'undo' }).ok).toBe(
      true,
    );
    expect(s.dispatch({ type: 'step.confirm', scope: 'rollback:undo', stepId: 'two' }).ok).toBe(true);
    expect((await s.runCheck('watch')).status).toBe('fail');
    await s.close();

    const main = h.got.filter((g) => g.path.startsWith('/hook/'));
    expect(main.map((g) => g.body.event)).toEqual([
      'gate-failed',
      'override',
      'signoff',
      'rollback-started',
      'monitoring-alert',
    ]);
    expect(h.got.filter((g) => g.path === '/signoffs-only').map((g) => g.body.event)).toEqual(['signoff']);
    const ids = main.map((g) => g.body.id);
    expect(new Set(ids).size).toBe(ids.length);
    const signoff = main[2].body;
    expect(signoff).toMatchObject({ operator: 'alice', phase: 'a', runbook: { id: 'notify-test' }, rehearsal: false });
    expect(signoff.text).toMatch(
      /^Waymark · Notify test: alice on \S+ signed off phase a "First" with key SHA256:\S+ · run \w{8} · audit head \d+ sha256:[0-9a-f]{64}$/,
    );
    expect(signoff).toMatchObject({
      key: expect.stringMatching(/^SHA256:/),
      signed: { head: { seq: expect.any(Number) } },
    });
    expect(main[0].body.text).toMatch(/gate check gate-check of phase a: FAIL/);
    expect(main[1].body.text).toMatch(/overrode gate check gate-check of phase a: checked by hand/);
    expect(main[3].body.text).toMatch(/started rollback "Undo the first phase"/);
    // the webhook's URL (its token) is nowhere: not in what was sent, the log or the state
    for (const text of [
      JSON.stringify(h.got.map((g) => g.body)),
      readFileSync(s.paths.audit, 'utf8'),
      readFileSync(s.paths.state, 'utf8'),
    ])
      expect(text).not.toContain(TOKEN);
    expect(auditOf(s).filter((e) => e.event === 'notify.failed')).toEqual([]);
  });

  it('a webhook that never answers holds up no step; what it missed is written to the audit log', async () => {
    const h = await hook('never');
    const s = new Session(loadRunbook(runbookFile(h.port), { env: {} }), {
      stateDir: tempDir(),
      operator: 'bob',
      noProbes: true,
      // closing waits for both attempts however slow a loaded machine makes their timers (with
      // the default 5 s it once cut the second short: a fresh clone's suite on two busy cores)
      notify: { attempts: 2, backoffMs: 20, timeoutMs: 1500, closeMs: 60_000 },
    });
    expect((await s.runCheck('gate-check')).status).toBe('fail');
    // the gate's notification is out and unanswered; the step runs and finishes meanwhile
    while (h.got.length === 0) await new Promise((r) => setTimeout(r, 10));
    const r = await s.runStep({ type: 'step.start', scope: 'a', stepId: 'run' });
    expect(r.ok).toBe(true);
    expect(s.state.steps['a/run'].status).toBe('passed');
    await s.close();
    const audit = auditOf(s);
    const failed = audit.filter((e) => e.event === 'notify.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].data).toMatchObject({
      webhook: `webhook 1 (127.0.0.1:${h.port})`,
      event: 'gate-failed',
      attempts: 2,
      error: 'no answer within 1.5 s',
    });
    // in the log's order: the step finished before the notification had given up
    const at = (pred: (e: { event: string; data?: Record<string, unknown> }) => boolean) => audit.findIndex(pred);
    expect(at((e) => e.event === 'step.finished' && e.data?.stepId === 'run')).toBeLessThan(
      at((e) => e.event === 'notify.failed'),
    );
    expect(readFileSync(s.paths.audit, 'utf8')).not.toContain(TOKEN);
  });

  it('closing waits for a slow webhook only so long, and records what it did not deliver', async () => {
    const h = await hook('never');
    const s = new Session(loadRunbook(runbookFile(h.port), { env: {} }), {
      stateDir: tempDir(),
      operator: 'erin',
      noProbes: true,
      notify: { attempts: 5, backoffMs: 1000, timeoutMs: 60_000, closeMs: 200 },
    });
    expect((await s.runCheck('gate-check')).status).toBe('fail');
    await s.close();
    const failed = auditOf(s).filter((e) => e.event === 'notify.failed');
    expect(failed.map((f) => f.data?.error)).toEqual(['waymark was closing']);
    expect(auditOf(s).at(-1)?.event).toBe('session.closed');
  });

  it('a webhook that is down: retried, then recorded as not delivered', async () => {
    const h = await hook('ok');
    const port = h.port;
    for (const c of hooks.splice(0)) await new Promise((r) => c.server.close(r));
    const s = new Session(loadRunbook(runbookFile(port), { env: {} }), {
      stateDir: tempDir(),
      operator: 'carol',
      noProbes: true,
      notify: { attempts: 3, backoffMs: 10, timeoutMs: 1000 },
    });
    expect((await s.runCheck('gate-check')).status).toBe('fail');
    await s.close();
    const failed = auditOf(s).filter((e) => e.event === 'notify.failed');
    expect(failed.map((f) => f.data)).toEqual([
      {
        webhook: `webhook 1 (127.0.0.1:${port})`,
        event: 'gate-failed',
        seq: expect.any(Number),
        attempts: 3,
        error: 'connection refused',
      },
    ]);
  });

  it('a webhook whose var is not set is off, and the operator is told', () => {
    const file = runbookFile(9);
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/url: http:\/\/127\.0\.0\.1:9\/hook\/\$\{HOOK_TOKEN\}/, 'url: ${HOOK_URL}'),
    );
    writeFileSync(file, readFileSync(file, 'utf8').replace('vars:\n', 'vars:\n  HOOK_URL: { secret: true }\n'));
    const s = new Session(loadRunbook(file, { env: {} }), { stateDir: tempDir(), operator: 'dave', noProbes: true });
    expect(s.notices).toContain('notify: webhook 1 is off: its URL is empty (is its var set?)');
    return s.close();
  });
});
