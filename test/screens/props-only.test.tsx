// Screens drawn from view models alone, with ink-testing-library: no session, no controller.
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { render } from 'ink-testing-library';
import { ListScreen } from '../../src/screens/ListScreen.js';
import { StepsScreen } from '../../src/screens/StepsScreen.js';
import { DialogView } from '../../src/screens/Dialogs.js';
import { loadRunbook } from '../../src/load/loader.js';
import { overviewView } from '../../src/screens/list-views.js';
import { stepsView } from '../../src/screens/steps-view.js';
import { frameView } from '../../src/screens/frame-view.js';
import { initialUi } from '../../src/screens/model.js';
import { freshState, T0 } from '../helpers/engine.js';

// plain text to match: colours off for these tests only
beforeAll(() => vi.stubEnv('NO_COLOR', '1'));
afterAll(() => vi.unstubAllEnvs());
const lr = loadRunbook('test/fixtures/tui.yaml', { env: { TUI_WORK: '/tmp/w' } });
const base = {
  rb: lr.runbook,
  state: freshState(),
  cursor: 0,
  now: T0,
  width: 79,
  height: 23,
  redactor: lr.redactor,
  dir: lr.dir,
};
const frame = (screen: 'overview' | 'steps') =>
  frameView({
    rb: lr.runbook,
    state: freshState(),
    ui: { ...initialUi(), screen, scope: 'a' },
    operator: 'alice',
    width: 79,
  });

describe('screens from view models alone', () => {
  it('the phases list: header, title, rows, key hints', () => {
    const { lastFrame, unmount } = render(
      <ListScreen view={overviewView(base)} frame={frame('overview')} width={79} />,
    );
    const f = lastFrame()!;
    expect(f).toMatch(/^Waymark · TUI test runbook +alice$/m);
    expect(f).toMatch(/^Phases$/m);
    expect(f).toMatch(/^› ○ Phase A/m);
    expect(f).toMatch(/^\? help · Enter open/m);
    unmount();
  });

  it('a phase: its steps, the selected command whole, the gate', () => {
    const view = stepsView({ ...base, scope: 'a', cursor: 1 });
    const { lastFrame, unmount } = render(<StepsScreen view={view} frame={frame('steps')} width={79} />);
    const f = lastFrame()!;
    expect(f).toMatch(/^› · Make the marker {2}\[command\]$/m);
    expect(f).toMatch(/\$ sh -c 'mkdir -p "\$0" && echo made && echo ready > "\$0\/marker"' \/tmp\/w/);
    expect(f).toMatch(/^gate: · marker$/m);
    expect(f.split('\n').length).toBeLessThanOrEqual(23);
    unmount();
  });

  it('the reason dialog names who records it', () => {
    const dialog = {
      kind: 'reason' as const,
      purpose: 'skip' as const,
      scope: 'a',
      label: 'Skip "x" — why?',
      text: 'typed',
    };
    const { lastFrame, unmount } = render(
      <DialogView dialog={dialog} width={79} extra={{ operator: 'alice', screen: 'steps' }} />,
    );
    expect(lastFrame()).toMatch(/Recorded with your name \(alice\)/);
    expect(lastFrame()).toMatch(/› typed/);
    unmount();
  });
});
