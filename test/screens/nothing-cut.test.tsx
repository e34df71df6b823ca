// What the operator must act on is never cut: a command to type, a step's command, a check's
// query, the rules an output is judged by, a plan line, a gate line. Every screen of the demo's
// runbook is walked at 80×24, every step opened and viewed whole; no line may end in "…".
import { describe, it, expect } from 'vitest';
import { openTui, KEYS } from './harness.js';

/**
 * The lines of a frame that end cut short. A row of a list (a step, a check: a marker, then its
 * title) may be cut: the selected one is shown whole below it. A progress word is not a cut.
 */
const LIST_ROW = /^[› ] [^\w\s"'(]{1,2} /;
function cut(frame: string): string[] {
  return frame
    .split('\n')
    .map((l) => l.replace(/[│╮╯\s]+$/, ''))
    .filter((l) => l.endsWith('…') && !LIST_ROW.test(l) && l !== 'working out the criteria…');
}

describe('nothing the operator must act on is cut (runbook.yaml at 80×24)', () => {
  it('every screen, every phase, every step and its whole view, the plan, checks, rollback, troubleshooting', async () => {
    const t = await openTui({ runbook: 'runbook.yaml', environment: 'staging' });
    await t.resize(80, 24);
    const seen: Array<{ where: string; line: string }> = [];
    const look = (where: string) => {
      for (const line of cut(t.frame())) seen.push({ where, line });
    };
    look('start');
    await t.press(KEYS.enter);
    await t.waitFor(/Pre-migration/);
    await t.press(KEYS.esc);
    await t.waitFor(/Phase 1/);
    const rb = t.session.runbook;
    look('overview');
    for (const [i, phase] of rb.phases.entries()) {
      await t.press(KEYS.enter);
      await t.waitFor(new RegExp(phase.title.replace(/[()]/g, '.')));
      for (let j = 0; j < phase.steps.length; j++) {
        look(`${phase.id} step ${j + 1}`);
        await t.press('v');
        // the whole view, page by page
        for (let page = 0; page < 12; page++) {
          look(`${phase.id} step ${j + 1}, v page ${page + 1}`);
          await t.press(KEYS.down, KEYS.down, KEYS.down, KEYS.down, KEYS.down, KEYS.down, KEYS.down, KEYS.down);
        }
        await t.press(KEYS.esc, KEYS.down);
      }
      await t.press(KEYS.esc);
      if (i < rb.phases.length - 1) await t.press(KEYS.down);
    }
    for (const [key, screen] of [
      ['p', 'plan'],
      ['c', 'checks'],
      ['m', 'monitor'],
      ['t', 'troubleshooting'],
      ['G', 'success'],
      ['R', 'rollback'],
    ] as const) {
      await t.press(key);
      for (let k = 0; k < 30; k++) {
        look(`${screen} ${k}`);
        await t.press(KEYS.down);
      }
      await t.press(KEYS.esc);
    }
    await t.press('?');
    look('help');
    await t.close();
    expect(seen).toEqual([]);
  }, 120_000);
});

describe("the seed runbook's inputs, as the TUI asks them at 80 columns", () => {
  it('each dialog shows every choice and what it does whole, wrapped, never cut', async () => {
    const { render } = await import('ink-testing-library');
    const { DialogView } = await import('../../src/screens/Dialogs.js');
    const { inputDialog } = await import('../../src/screens/intents-inputs.js');
    const { loadRunbook } = await import('../../src/load/loader.js');
    const rb = loadRunbook('runbook.yaml', { environment: 'staging' }).runbook;
    expect(Object.keys(rb.inputs).length).toBeGreaterThan(0);
    for (const name of Object.keys(rb.inputs)) {
      const dialog = inputDialog(rb, name, { scope: 'phase-2-migrate', stepId: 'migrate' });
      const r = render(<DialogView dialog={dialog} width={80} extra={{ operator: 'ops-alice', screen: 'steps' }} />);
      const frame = r.lastFrame() ?? '';
      r.unmount();
      expect(cut(frame), `${name}:\n${frame}`).toEqual([]);
      const flat = frame.replace(/[│╭╮╰╯─]/g, ' ').replace(/\s+/g, ' ');
      for (const c of dialog.choices) expect(flat).toContain(`${c.value} — ${c.description ?? ''}`.trim());
    }
  });
});
