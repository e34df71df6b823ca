// Every run a test's session writes is checked as that session closes: folding `reduce` over its
// audit log (phases/replay.ts) gives back the state it saved. Only what the log does not keep is
// left out of the comparison: output tails and check evidence. A run whose writes stopped (a full
// disk, a fault a test injects) or whose log a test damaged on purpose is not a log to replay.
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { Session } from '../src/phases/session.js';
import { replay } from '../src/phases/replay.js';
import { readLines, verifyLines, type AuditEntry } from '../src/state/audit.js';
import type { RunState } from '../src/state/run-state.js';

/** The state as the log can say it: no output tails, no evidence rows. */
export function asLogged(s: RunState): unknown {
  return JSON.parse(
    JSON.stringify(s, (k, v: unknown) => (k === 'outputTail' || k === 'evidence' ? undefined : v)),
  ) as unknown;
}

/** The saved state of a session's run, and the one its audit log replays to; undefined when there is none. */
export function replayed(session: Session): { saved: RunState; replayed: RunState | undefined } | undefined {
  const { state, audit } = session.paths;
  if (!existsSync(state) || !existsSync(audit)) return undefined;
  const { lines, torn } = readLines(audit);
  if (torn !== undefined || !verifyLines(lines).ok) return undefined;
  const saved = JSON.parse(readFileSync(state, 'utf8')) as RunState;
  if (saved.audit?.seq !== lines.length) return undefined;
  const entries = lines.map((l) => JSON.parse(l) as AuditEntry);
  return { saved, replayed: replay(session.runbook, undefined, entries, lines) };
}

/** State folders a test forged by hand (a state no log leads to): not replayed. */
export const forged = new Set<string>();

const close = Session.prototype.close;
Session.prototype.close = async function (this: Session) {
  if (!this.opts.readOnly) {
    this.cancel();
    await this.idle().catch(() => {});
    const isForged = [...forged].some((dir) => this.paths.state.startsWith(dir));
    const r = this.failure || isForged ? undefined : replayed(this);
    if (r)
      expect(asLogged(r.replayed!), `replaying ${this.paths.audit} gives back its state`).toEqual(asLogged(r.saved));
  }
  return close.call(this);
};
