import { describe, it, expect } from 'vitest';
import { navigate, initialUi, type ScreenId, type UiState } from '../../src/screens/model.js';
import { GLOBAL_KEYS, KEY_MAP, SCREEN_KEYS, keyToAction } from '../../src/screens/key-map.js';
import type { KeyInfo } from '../../src/screens/model.js';

const ui = (patch: Partial<UiState> = {}): UiState => ({ ...initialUi(), screen: 'overview', ...patch });

describe('key map', () => {
  it.each([
    ['?', {}, 'help'],
    ['q', {}, 'quit'],
    ['R', {}, 'open'],
    ['j', {}, 'move'],
    ['', { downArrow: true }, 'move'],
    ['', { return: true }, 'activate'],
    ['', { escape: true }, 'back'],
    ['c', { ctrl: true }, 'interrupt'],
  ])('%j %j → %s', (input, key, type) => {
    expect(keyToAction(ui(), input, key).type).toBe(type);
  });
  it('R opens rollback from every screen', () => {
    for (const screen of ['overview', 'steps', 'checks', 'monitor', 'troubleshooting', 'plan', 'start'] as const)
      expect(keyToAction(ui({ screen }), 'R', {})).toEqual({ type: 'open', screen: 'rollback' });
  });
  it('step keys only on the steps screen', () => {
    expect(keyToAction(ui({ screen: 'steps' }), 's', {}).type).toBe('skip');
    expect(keyToAction(ui({ screen: 'steps' }), 'S', {}).type).toBe('signoff');
    // elsewhere it does nothing, but says where it works: a listed key is never silently nothing
    expect(keyToAction(ui({ screen: 'overview' }), 's', {})).toEqual({
      type: 'unbound',
      why: "s (skip the step (with a reason)) works on a phase's steps, not here",
    });
    expect(keyToAction(ui({ screen: 'start' }), 'S', {})).toMatchObject({ type: 'unbound' });
    expect(keyToAction(ui({ screen: 'start' }), 'p', {})).toEqual({ type: 'open', screen: 'plan' });
    expect(keyToAction(ui({ screen: 'overview' }), 'Z', {}).type).toBe('none');
  });
  it('every key the help lists on a screen does something there', () => {
    for (const [screen, keys] of Object.entries(SCREEN_KEYS))
      for (const [k] of keys)
        for (const key of k.split(' / ').filter((x) => x.length === 1)) {
          const a = keyToAction(ui({ screen: screen as ScreenId, scope: 'rollback:x' }), key, {});
          expect([screen, key, a.type]).not.toEqual([screen, key, 'none']);
          expect([screen, key, a.type]).not.toEqual([screen, key, 'unbound']);
        }
    for (const [k] of GLOBAL_KEYS)
      if (k.length === 1)
        for (const screen of ['start', 'overview', 'steps', 'checks', 'monitor', 'rollback'] as ScreenId[])
          expect([screen, k, keyToAction(ui({ screen }), k, {}).type]).not.toEqual([screen, k, 'none']);
  });
  it('a dialog takes the keys: text goes into it, Esc closes it', () => {
    const d = ui({ dialog: { kind: 'reason', purpose: 'skip', scope: 'a', stepId: 'x', label: '', text: '' } });
    expect(keyToAction(d, 'q', {})).toEqual({ type: 'text', ch: 'q' });
    expect(keyToAction(d, '', { escape: true }).type).toBe('close-dialog');
    expect(keyToAction(d, '', { return: true }).type).toBe('submit');
  });
  it('the quit dialog needs y', () => {
    const d = ui({ dialog: { kind: 'quit', running: false } });
    expect(keyToAction(d, 'y', {}).type).toBe('quit-now');
    expect(keyToAction(d, 'n', {}).type).toBe('close-dialog');
    expect(keyToAction(d, 'x', {}).type).toBe('none');
  });
});

describe('navigation', () => {
  it('moves within the list bounds', () => {
    let s = ui();
    s = navigate(s, { type: 'move', delta: 1 }, 3);
    s = navigate(s, { type: 'move', delta: 5 }, 3);
    expect(s.cursor.overview).toBe(2);
    s = navigate(s, { type: 'move', delta: -9 }, 3);
    expect(s.cursor.overview).toBe(0);
  });
  it('opens and goes back', () => {
    let s = navigate(ui(), { type: 'open', screen: 'checks' }, 0);
    expect(s.screen).toBe('checks');
    s = navigate(s, { type: 'back' }, 0);
    expect(s.screen).toBe('overview');
  });
  it('types into and erases from a dialog', () => {
    let s = ui({ dialog: { kind: 'signoff', phaseId: 'a', text: 'ab' } });
    s = navigate(s, { type: 'text', ch: 'c' }, 0);
    s = navigate(s, { type: 'backspace' }, 0);
    s = navigate(s, { type: 'backspace' }, 0);
    expect(s.dialog && 'text' in s.dialog && s.dialog.text).toBe('a');
  });
});

describe('one table of keys (key-map.ts)', () => {
  const named: Record<string, KeyInfo> = {
    up: { upArrow: true },
    down: { downArrow: true },
    pageUp: { pageUp: true },
    pageDown: { pageDown: true },
    escape: { escape: true },
    return: { return: true },
  };
  it('every key the help lists does, on each of its screens, what its line says', () => {
    let checked = 0;
    for (const b of KEY_MAP) {
      const screens: ScreenId[] = b.screens === 'all' ? ['overview', 'steps', 'checks', 'start'] : b.screens;
      for (const screen of screens)
        for (const k of b.keys) {
          const at = ui({ screen, scope: b.when ? 'rollback:undo' : 'a' });
          if (b.when && !b.when(at)) continue;
          const action = keyToAction(at, named[k] ? '' : k, named[k] ?? {});
          // a screen's own key wins over the same key everywhere: the help lists both, the screen's first
          const own = KEY_MAP.find((x) => x.keys.includes(k) && x.screens !== 'all' && x.screens.includes(screen));
          expect(action, `${k} on ${screen}`).toEqual((b.screens === 'all' && own ? own : b).action);
          checked++;
        }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it('the help dialog lists exactly the keys of the table, each screen its own first', () => {
    const listed = KEY_MAP.filter((b) => b.help).length;
    const shown = GLOBAL_KEYS.length - 1 + Object.values(SCREEN_KEYS).reduce((n, k) => n + (k?.length ?? 0), 0);
    expect(shown).toBe(
      KEY_MAP.filter((b) => b.help).reduce((n, b) => n + (b.screens === 'all' ? 1 : b.screens.length), 0),
    );
    expect(listed).toBeGreaterThan(30);
    expect(GLOBAL_KEYS.at(-1)?.[0]).toBe('Ctrl-C');
  });
});
