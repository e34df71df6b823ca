// Starts the TUI. Ink and React are loaded here, not by the CLI (and bundled into one
// file at build time); the first frame is drawn before the runbook, the state and the
// session are loaded, and pg and execa load only when a check or a command first runs.
import type { LoadedRunbook } from '../runbook/loader.js';
import type { SessionOptions } from '../phases/session.js';

/** The session's options come from the command (its flags): the screens know nothing of arguments. */
export async function runTui(
  source: LoadedRunbook | (() => Promise<LoadedRunbook>),
  options: SessionOptions,
): Promise<number> {
  // NO_COLOR: colours off; every colour also has a word or symbol next to it.
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
  // React is CommonJS: its exports are the module's default, in Node and in the bundle alike
  const [{ render, Text }, { default: React }] = await Promise.all([import('ink'), import('react')]);
  const app = render(
    React.createElement(Text, null, `Waymark — opening ${typeof source === 'function' ? 'the runbook' : source.file}…`),
    { exitOnCtrlC: false, patchConsole: true, maxFps: 20 },
  );
  let session: import('../phases/session.js').Session;
  try {
    const [lr, { Session }] = await Promise.all([
      typeof source === 'function' ? source() : source,
      import('../phases/session.js'),
    ]);
    session = new Session(lr, options);
    try {
      session.notices.push(...(await session.lockTargets()));
    } catch (e) {
      await session.close();
      throw e;
    }
  } catch (e) {
    // bad input or a held lock: leave the screen clean, the CLI prints the error
    app.unmount();
    throw e;
  }
  const [{ App }, { TuiController }] = await Promise.all([import('./App.js'), import('./controller.js')]);
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  const controller = new TuiController(session, {
    onExit: (code) => resolveExit(code),
    writeReport: async (phaseId) => {
      const { writePhaseReport } = await import('../report/write.js');
      return writePhaseReport(session, phaseId, 'html');
    },
  });
  app.rerender(React.createElement(App, { controller }));
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
