// Renders the real App over a real session on a temp state dir, and drives it by keys.
import { onTestFinished } from 'vitest';
import { render } from 'ink-testing-library';
import { loadRunbook } from '../../src/load/loader.js';
import { Session } from '../../src/phases/session.js';
import { TuiController } from '../../src/screens/controller.js';
import { App } from '../../src/screens/App.js';
import { tempDir } from '../helpers/tmp.js';

export const KEYS = {
  enter: '\r',
  down: '\u001B[B',
  up: '\u001B[A',
  esc: '\u001B',
  backspace: '\u007F',
  ctrlC: '\u0003',
};

export async function openTui(
  opts: {
    now?: () => Date;
    state?: string;
    work?: string;
    runbook?: string;
    environment?: string;
    prepare?: (s: Session) => Promise<void> | void;
  } = {},
) {
  const work = opts.work ?? tempDir();
  const stateDir = opts.state ?? tempDir();
  const lr = loadRunbook(opts.runbook ?? 'test/fixtures/tui.yaml', {
    env: { TUI_WORK: work },
    environment: opts.environment,
  });
  const session = new Session(lr, { stateDir, operator: 'tester', now: opts.now });
  await opts.prepare?.(session);
  const exits: number[] = [];
  const reports: string[] = [];
  const controller = new TuiController(session, {
    onExit: (c) => exits.push(c),
    writeReport: async (p) => (reports.push(p), { file: `/tmp/report-${p}.html`, untrusted: [] }),
  });
  // every key the App hands the controller is counted: a press waits for its key to be heard
  let heard = 0;
  const handleKey = controller.handleKey;
  controller.handleKey = (input, key) => {
    heard++;
    handleKey(input, key);
  };
  const r = render(<App controller={controller} />);
  const tick = (ms = 30) => new Promise((res) => setTimeout(res, ms));
  const settle = () => new Promise((res) => setImmediate(res));
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      const before = heard;
      r.stdin.write(k);
      // a condition, not a time: the key reached the controller (Ink holds a lone Esc a moment)
      for (const t0 = Date.now(); heard === before; await tick(5))
        if (Date.now() - t0 > 5000) throw new Error(`the key ${JSON.stringify(k)} was never heard`);
      // then what it started (an engine event, a state write) and the frame it changed
      for (let i = 0; i < 3; i++) await settle();
    }
  };
  const type = async (text: string) => {
    for (const ch of text) await press(ch);
  };
  const frame = () => r.lastFrame() ?? '';
  // a condition, not a time: generous, so a loaded machine is slower but never wrong
  const waitFor = async (re: RegExp, ms = 15_000) => {
    const t0 = Date.now();
    while (!re.test(frame())) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${re} in:\n${frame()}`);
      await tick(25);
    }
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    r.unmount();
    await session.close();
  };
  // closed after the test whatever happened in it: a failed assertion leaks no lock, pool or timer
  onTestFinished(close);
  /** The terminal changes size, as when the operator resizes the window. */
  const resize = async (columns: number, rows: number) => {
    Object.defineProperty(r.stdout, 'columns', { get: () => columns, configurable: true });
    Object.defineProperty(r.stdout, 'rows', { get: () => rows, configurable: true });
    r.stdout.emit('resize');
    // the resize re-renders at once: let it and its layout settle
    for (let i = 0; i < 3; i++) await settle();
  };
  return { session, controller, frame, press, type, waitFor, close, exits, reports, work, stateDir, tick, resize };
}
