// What a step's record says stopped it, one wording for the TUI and the plain mode.
export const OPERATOR_CANCEL = 'cancelled by the operator';

export function stopReason(sig: NodeJS.Signals): string {
  if (sig === 'SIGINT') return 'interrupted by Ctrl-C';
  if (sig === 'SIGHUP') return 'stopped: the terminal closed (SIGHUP, e.g. a dropped SSH session)';
  return `stopped: Waymark received ${sig}`;
}
