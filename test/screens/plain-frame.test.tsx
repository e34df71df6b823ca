// The start screen drawn before Ink loads must be the screen Ink then draws over it, line for
// line: otherwise the operator sees it jump. Compared on the real App over a real session.
import { describe, it, expect } from 'vitest';
import { openTui, KEYS } from './harness.js';
import { render } from 'ink-testing-library';
import { Box, Text } from 'ink';
import { narrowWidth, screenSize, spaceBetween, startScreenLines } from '../../src/screens/plain-frame.js';

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').replace(/ +$/gm, '');

async function compare(t: Awaited<ReturnType<typeof openTui>>, columns: number, rows: number) {
  await t.resize(columns, rows);
  await t.waitFor(/Press Enter/);
  const { width, height } = screenSize(columns, rows);
  const lines = startScreenLines(t.controller.getSnapshot(), width, height);
  expect(lines, 'the start screen is drawn before Ink').toBeDefined();
  expect(plain(lines!.join('\n')).trimEnd()).toBe(plain(t.frame()).trimEnd());
  expect(lines).toHaveLength(height);
}

describe('the start screen before Ink', () => {
  it('is what Ink draws: a new run, at 80×24, 60×16 and 120×40', async () => {
    const t = await openTui();
    for (const [c, r] of [
      [80, 24],
      [60, 16],
      [120, 40],
    ])
      await compare(t, c, r);
  });

  it('is what Ink draws for a run resumed after an interrupted step, with its red line', async () => {
    const first = await openTui();
    first.session.dispatch({ type: 'step.confirm', scope: 'a', stepId: 'look' });
    first.session.dispatch({ type: 'step.start', scope: 'a', stepId: 'make' });
    // a crash: the state says running, then a new session opens it
    (first.session as unknown as { opts: { readOnly: boolean } }).opts.readOnly = true;
    await first.close();
    const again = await openTui({ state: first.stateDir, work: first.work });
    await compare(again, 80, 24);
    expect(plain(again.frame())).toMatch(/Press Enter to Resume/);
    expect(plain(again.frame())).toMatch(/"Make the marker" was interrupted/);
  });

  it('spreads the header as Yoga does (space-between), for two, three and four texts of any length', () => {
    for (const width of [59, 79, 99])
      for (const texts of [
        ['Waymark · Smoke test runbook', 'tester'],
        ['Waymark · Flux Studio: zero-downtime migrati…', '● up', 'Seed 29abcb2b maintainers'],
        ['Waymark · x', '● DOWN', 'REHEARSAL · clock +8d', 'bob'],
        ['ab', 'c', 'def', 'g'],
      ]) {
        const r = render(
          <Box width={width} justifyContent="space-between">
            {texts.map((t, i) => (
              <Text key={i}>{t}</Text>
            ))}
          </Box>,
        );
        const mine = spaceBetween(
          texts.map((text) => ({ text, style: {} })),
          width,
        );
        // too long for the row: Ink shrinks and wraps them, and no plain screen is drawn
        const ink = texts.join('').length > width ? undefined : (r.lastFrame() ?? '').replace(/ +$/, '');
        expect([width, texts, mine]).toEqual([width, texts, ink]);
        r.unmount();
      }
  });

  it('is not drawn for a screen it cannot lay out as Ink would: wide characters, another screen', async () => {
    expect(narrowWidth('Waymark · Smoke — opening → ● ✔ ✗')).toBe(33);
    expect(narrowWidth('迁移')).toBeUndefined();
    expect(narrowWidth('done ✅')).toBeUndefined();
    const t = await openTui();
    await t.waitFor(/Press Enter/);
    await t.press(KEYS.enter);
    const { width, height } = screenSize(80, 24);
    expect(startScreenLines(t.controller.getSnapshot(), width, height)).toBeUndefined();
  });
});
