// Whether to draw the screens or print plain lines. Both stdin and stdout must be a
// terminal. Like `is-interactive` and most CLIs, CI and TERM=dumb also mean plain
// lines: Ink draws nothing until exit when CI is set, which would leave an operator
// looking at a blank terminal, so Waymark says why and runs plainly instead.
export function chooseMode(
  flags: Record<string, unknown>,
  io: { stdinTTY: boolean; stdoutTTY: boolean; env: NodeJS.ProcessEnv } = {
    stdinTTY: !!process.stdin.isTTY,
    stdoutTTY: !!process.stdout.isTTY,
    env: process.env,
  },
): { interactive: boolean; notice?: string } {
  if (flags['non-interactive'] || !io.stdinTTY || !io.stdoutTTY) return { interactive: false };
  const ci = ['CI', 'CONTINUOUS_INTEGRATION'].find((k) => k in io.env && io.env[k] !== '0' && io.env[k] !== 'false');
  if (ci) {
    return {
      interactive: false,
      notice:
        `notice: ${ci} is set, so Waymark prints plain lines instead of its screens; unset ${ci} (or ` +
        `set it to false) to use the screens`,
    };
  }
  if (io.env.TERM === 'dumb') {
    return {
      interactive: false,
      notice:
        'notice: TERM=dumb cannot draw the screens, so Waymark prints plain lines; set TERM (e.g. ' +
        'xterm-256color) to use them',
    };
  }
  return { interactive: true };
}
