import { describe, it, expect } from 'vitest';
import { chooseMode } from '../../src/commands/interactive.js';

const tty = { stdinTTY: true, stdoutTTY: true };

describe('chooseMode', () => {
  it('draws the screens on a terminal', () => {
    expect(chooseMode({}, { ...tty, env: { TERM: 'xterm-256color' } })).toEqual({ interactive: true });
  });
  it('prints plain lines without a terminal or with --non-interactive, silently', () => {
    expect(chooseMode({}, { stdinTTY: false, stdoutTTY: true, env: {} })).toEqual({ interactive: false });
    expect(chooseMode({}, { stdinTTY: true, stdoutTTY: false, env: {} })).toEqual({ interactive: false });
    expect(chooseMode({ 'non-interactive': true }, { ...tty, env: { CI: 'true' } })).toEqual({ interactive: false });
  });
  it('prints plain lines under CI or TERM=dumb and says how to get the screens', () => {
    const ci = chooseMode({}, { ...tty, env: { CI: '1' } });
    expect(ci.interactive).toBe(false);
    expect(ci.notice).toMatch(/CI is set.*unset CI/);
    expect(chooseMode({}, { ...tty, env: { CONTINUOUS_INTEGRATION: 'yes' } }).notice).toMatch(
      /CONTINUOUS_INTEGRATION is set/,
    );
    expect(chooseMode({}, { ...tty, env: { TERM: 'dumb' } }).notice).toMatch(/TERM=dumb/);
  });
  it('CI=false or CI=0 still draws the screens', () => {
    expect(chooseMode({}, { ...tty, env: { CI: 'false' } }).interactive).toBe(true);
    expect(chooseMode({}, { ...tty, env: { CI: '0' } }).interactive).toBe(true);
  });
});
