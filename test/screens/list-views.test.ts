// The list screens' view models, from a runbook and a state alone: no session, no terminal.
import { describe, it, expect } from 'vitest';
import { loadRunbook } from '../../src/load/loader.js';
import {
  overviewView,
  rollbackView,
  troubleshootingView,
  planView,
  stepView,
  successView,
  startView,
} from '../../src/screens/list-views.js';
import { frameView } from '../../src/screens/frame-view.js';
import { initialUi } from '../../src/screens/model.js';
import { freshState, T0 } from '../helpers/engine.js';
import type { RunState } from '../../src/state/run-state.js';

const lr = loadRunbook('test/fixtures/tui.yaml', { env: { TUI_WORK: '/tmp/w' } });
const input = (state: RunState, cursor = 0, width = 79) => ({
  rb: lr.runbook,
  state,
  cursor,
  now: T0,
  width,
  height: 23,
  redactor: lr.redactor,
  dir: lr.dir,
});

describe('list view models', () => {
  it('phases: the selected row is marked, a signed-off phase says who and when, a wait says when it counts', () => {
    const state: RunState = {
      ...freshState(),
      phases: { a: { status: 'signed-off', signedOffAt: T0.toISOString(), signedOffBy: 'alice', overrides: [] } },
    };
    const v = overviewView(input(state, 1, 100));
    expect(v.title).toBe('Phases');
    expect(v.lines[0]).toMatchObject({ tone: 'green', selected: false });
    expect(v.lines[0].text).toMatch(/^ {2}✔ Phase A +0\/4 {2}signed off 01-01 00:00Z by alice$/);
    const b = v.lines.find((l) => l.selected)!;
    expect(b.text).toMatch(/^› ○ Phase B/);
    expect(v.lines.find((l) => l.text.includes('⏳'))).toMatchObject({ tone: 'yellow' });
    expect(v.lines.every((l) => [...l.text].length <= 100)).toBe(true);
  });

  it('fits any width: every line is cut to it', () => {
    const narrow = overviewView(input(freshState(), 0, 40));
    expect(narrow.lines.every((l) => [...l.text].length <= 40)).toBe(true);
  });

  it('rollback, troubleshooting and plan views say what applies, in words', () => {
    expect(rollbackView(input(freshState())).lines[0].text).toBe('Nothing in this run needs rolling back yet.');
    const ts = troubleshootingView(input(freshState()));
    expect(ts.lines[0]).toEqual({ text: '› The marker is missing', selected: true });
    expect(ts.lines[1].text).toMatch(/2 diagnostics · fixes: Re-run Phase A/);
    const plan = planView(input(freshState()));
    expect(plan.title).toMatch(/^Plan \(dry run\) — lines 1-\d+ of \d+$/);
    expect(plan.lines.length).toBeLessThanOrEqual(18);
  });

  it('the whole-step view wraps the command and scrolls; the criteria view counts what is met', () => {
    const v = stepView({ ...input(freshState()), scope: 'a', stepIndex: 1, width: 40 });
    expect(v.title).toBe('Make the marker');
    const text = v.lines.map((l) => l.text).join('\n');
    // wrapped at spaces: the same characters, in order
    const squeeze = (t: string) => t.replace(/\s/g, '');
    expect(squeeze(text)).toContain(squeeze(`$ sh -c 'mkdir -p "$0" && echo made && echo ready > "$0/marker"' /tmp/w`));
    expect(v.lines.every((l) => [...l.text].length <= 40)).toBe(true);
    const rows = [{ id: 'x', criterion: 'It works', status: 'met' as const, evidence: ['check ok: PASS'] }];
    const g = successView({ ...input(freshState()), success: { rows, at: T0.toISOString() } });
    expect(g.title).toBe('Success criteria as of 00:00:00Z');
    expect(g.lines.map((l) => l.text)).toEqual(['1 of 1 criteria met', ' ', '✔ met  It works', '  check ok: PASS']);
  });

  it('the start view says what Enter does; the frame keeps ? help and never cuts a hint', () => {
    const st = startView({ ...input(freshState()), operator: 'alice', notices: ['a lock was taken over'] });
    const texts = st.lines.map((l) => l.text);
    expect(texts).toContain('operator        alice');
    expect(texts).toContain('notice: a lock was taken over');
    expect(st.lines.at(-1)).toEqual({ text: ' Press Enter to begin ', selected: true });
    // the run's environment, and the run it was promoted from, whole at 79 columns
    const promotedFrom = {
      environment: 'staging',
      runId: '9bbca2ce-1111-4222-8333-444455556666',
      runbookHash: 'a'.repeat(64),
      phases: [],
    };
    const prod = startView({
      ...input({ ...freshState(), environment: 'production', promotedFrom }),
      operator: 'alice',
    });
    const text = prod.lines.map((l) => l.text);
    expect(text.join(' ').replace(/\s+/g, ' ')).toContain(
      'environment production (promoted from staging run 9bbca2ce-1111-4222-8333-444455556666, every phase ' +
        'signed off by trusted keys) operator alice',
    );
    for (const l of text) expect(l.length).toBeLessThanOrEqual(79);
    const f = frameView({
      rb: lr.runbook,
      state: freshState(),
      ui: { ...initialUi(), screen: 'steps', scope: 'a' },
      operator: 'alice',
      width: 50,
    });
    // a follower reads whom it follows whole, whatever the length of its own name
    const follower = frameView({
      rb: lr.runbook,
      state: freshState(),
      ui: initialUi(),
      operator: 'Seed 29abcb2b maintainers of the night shift',
      width: 80,
      following: true,
      holder: 'alice on vm',
    });
    expect(follower.operator).toBe('READ-ONLY, following alice');
    expect(
      frameView({
        rb: lr.runbook,
        state: freshState(),
        ui: initialUi(),
        operator: 'bob',
        width: 80,
        following: true,
        holder: null,
      }).operator,
    ).toBe('bob · READ-ONLY, following nobody');
    expect(f.hints.startsWith('? help')).toBe(true);
    expect(f.hints.length).toBeLessThanOrEqual(50);
    expect(f.hints).not.toContain('…');
  });
});

describe('nothing the operator must act on is cut', () => {
  it('the approval command another operator must type is whole at 80 columns, wrapped', () => {
    const rb = loadRunbook('runbook.yaml', { env: {}, environment: 'production' }).runbook;
    const phase = rb.phases.find((p) => (p.approvals ?? 1) > 1)!;
    const state: RunState = {
      ...freshState(),
      phases: {
        [phase.id]: {
          status: 'signed-off',
          signedOffAt: T0.toISOString(),
          signedOffBy: 'alice',
          overrides: [],
          history: [{ kind: 'signed-off', by: 'alice', at: T0.toISOString() }],
        },
      },
    };
    const v = overviewView({ ...input(state, rb.phases.indexOf(phase), 79), rb });
    const text = v.lines.map((l) => l.text).join('\n');
    for (const l of v.lines) expect(l.text.length).toBeLessThanOrEqual(79);
    expect(v.lines.filter((l) => l.text.endsWith('…') && /✋|approve/.test(l.text))).toEqual([]);
    expect(text.replace(/\n\s+/g, ' ')).toContain(`waymark approve --phase ${phase.id})`);
  });
});
