// Starts the TUI. Ink and React are loaded here, not by the CLI (and bundled into one
// file at build time). What the operator sees first needs none of them: the first line is
// written at once, the start screen as plain text as soon as the runbook and the state are
// read (plain-frame.ts); Ink, React and Yoga load after it and draw the same screen over it.
// pg and execa load only when a check or a command first runs.
import type { LoadedRunbook } from '../load/loader.js';
import type { SessionOptions } from '../phases/session.js';
import { screenSize, startScreenLines } from './plain-frame.js';

/** The session's options come from the command (its flags): the screens know nothing of arguments. */
export async function runTui(
  source: LoadedRunbook | (() => Promise<LoadedRunbook>),
  options: SessionOptions,
): Promise<number> {
  // NO_COLOR: colours off; every colour also has a word or symbol next to it.
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
  const out = process.stdout;
  const early = out.isTTY === true;
  const opening = `Waymark — opening ${typeof source === 'function' ? 'the runbook' : source.file}…`;
  // keys pressed before Ink reads them wait unechoed in the terminal, and reach it then
  const raw = early && process.stdin.isTTY === true;
  if (raw) process.stdin.setRawMode(true);
  if (early) out.write(opening);
  const leave = () => {
    if (early) out.write('\r\x1b[K');
    if (raw) process.stdin.setRawMode(false);
  };
  let session: import('../phases/session.js').Session;
  let controller: import('./controller.js').TuiController;
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  let drawn: string[] | undefined;
  try {
    const [lr, { Session }, { TuiController }] = await Promise.all([
      typeof source === 'function' ? source() : source,
      import('../phases/session.js'),
      import('./controller.js'),
    ]);
    session = new Session(lr, options);
    try {
      for (const n of await session.lockTargets()) session.notice(n);
    } catch (e) {
      await session.close();
      throw e;
    }
    controller = new TuiController(session, {
      onExit: (code) => resolveExit(code),
      writeReport: async (phaseId) => {
        const { writePhaseReport } = await import('../report/write.js');
        return writePhaseReport(session, phaseId, 'html');
      },
    });
    if (early) {
      const { width, height } = screenSize(out.columns, out.rows);
      controller.setSize(width, height);
      // a terminal smaller than the screen's layout wraps and scrolls it: then Ink alone draws
      const fits = (out.columns ?? 0) > width && (out.rows ?? 0) > height;
      drawn = fits ? startScreenLines(controller.getSnapshot(), width, height) : undefined;
      out.write(`\r\x1b[K${drawn ? `${drawn.join('\n')}\n` : opening}`);
    }
  } catch (e) {
    // bad input or a held lock: leave the screen clean, the CLI prints the error
    leave();
    throw e;
  }
  // React is CommonJS: its exports are the module's default, in Node and in the bundle alike
  const [{ render }, { default: React }, { App }] = await Promise.all([
    import('ink'),
    import('react'),
    import('./App.js'),
  ]);
  // Ink draws from where the cursor is: back to the first line of the plain screen, which it replaces
  if (drawn) out.write(`\x1b[${drawn.length}A\r\x1b[J`);
  else if (early) out.write('\r\x1b[K');
  const app = render(React.createElement(App, { controller }), { exitOnCtrlC: false, patchConsole: true, maxFps: 20 });
  const { stopReason } = await import('../phases/stop-reason.js');
  const onSignal = (sig: NodeJS.Signals) => void controller.exit(130, stopReason(sig));
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const code = await exited;
  // let the last frame draw, then leave
  await new Promise((r) => setTimeout(r, 50));
  app.unmount();
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  await session.close();
  return code;
}
