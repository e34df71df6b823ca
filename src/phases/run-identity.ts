// Which run a runbook's session opens: its target (the servers and data it works on), the
// fingerprint that names the run, and the clock it keeps (real, or a rehearsal's moved one).
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { LoadedRunbook } from '../load/loader.js';
import { InputError } from '../runbook/errors.js';
import { parseDuration } from '../runbook/duration.js';
import { describeTarget } from '../checks/pg.js';
import type { RunState } from '../state/run-state.js';

export function targetOf(lr: LoadedRunbook): Record<string, string> {
  const t: Record<string, string> = {};
  for (const [name, c] of Object.entries(lr.runbook.connections)) {
    const d = describeTarget(c);
    t[`${name}.host`] = `${d.host}:${d.port}`;
    t[`${name}.database`] = d.database;
  }
  const first = Object.values(lr.runbook.data).find((e) => e.file);
  if (first?.file) t['data directory'] = resolve(lr.dir, first.file, '..');
  return t;
}

export function fingerprintOf(lr: LoadedRunbook): string {
  return (
    createHash('sha256')
      // a run's environment is part of what it is: a staging and a production run never mix
      .update(
        JSON.stringify(lr.environment ? [lr.runbook.id, targetOf(lr), lr.environment] : [lr.runbook.id, targetOf(lr)]),
      )
      .digest('hex')
      .slice(0, 12)
  );
}

/**
 * WAYMARK_CLOCK_OFFSET moves the clock forward (e.g. "24h") to rehearse the waits. Set at
 * all (even "0s"), it makes a run a rehearsal for its whole life; undefined when unset.
 */
export function clockOffsetFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): { offset: string; offsetMs: number } | undefined {
  const text = env.WAYMARK_CLOCK_OFFSET?.trim();
  if (text === undefined || text === '') return undefined;
  const offsetMs = parseDuration(text);
  if (offsetMs === undefined)
    throw new InputError(`WAYMARK_CLOCK_OFFSET=${text} is not a duration: write it like 24h, 8d or 1h30m`);
  return { offset: text, offsetMs };
}

/**
 * A writing session never switches a run between real and rehearsal time: a real run refuses
 * a moved clock, and a rehearsal resumed without WAYMARK_CLOCK_OFFSET keeps its own offset.
 */
export function checkClock(run: RunState, env: RunState['rehearsal']): void {
  if (!run.rehearsal && env)
    throw new InputError(
      `this run is real and WAYMARK_CLOCK_OFFSET=${env.offset} would move its clock: a rehearsal is a run of ` +
        `its own — ` +
        'start it with the offset set from the beginning, in another --state-dir (or after waymark reset)',
    );
}
