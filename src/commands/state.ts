// `waymark state export|import`: moves a run between the state folder and a state database
// with its whole history — every line of the audit log byte for byte, so its hash chain and
// the signatures that name the chain's head still verify. The run is checked before it moves,
// the source is held while it moves (nobody writes it meanwhile), and only a copy that landed
// whole sets the source aside (archived, never deleted): one run never lives in two places.
import { existsSync, unlinkSync } from 'node:fs';
import { thisProcess } from '../state/host.js';
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { load, out, runPathsFor, sessionOptions, sharedUrlFor } from './common.js';
import { acquireLock } from '../state/lock.js';
import { readLines, verifyAudit } from '../state/audit.js';
import { StateStore } from '../state/store.js';
import { writeWhole } from '../state/durable.js';
import type { RunState } from '../state/run-state.js';
import type { RunPaths } from '../state/paths.js';
import { describeStateUrl, HeldRun, importRun } from '../state/pg-store.js';

/** Why a run's state and log cannot move as they are, or undefined. */
function problemOf(state: RunState, lines: string[], verify: ReturnType<typeof verifyAudit>): string | undefined {
  if (!verify.ok) return `its audit log does not verify at line ${verify.badLine}: ${verify.problem}`;
  if (!state.audit || state.audit.seq !== lines.length)
    return 'its state does not include the last line of its log (open it once, so it catches up, then move it)';
  return undefined;
}

export async function stateCommand(a: ParsedArgs): Promise<number> {
  const verb = a.positional[0];
  if (verb !== 'export' && verb !== 'import')
    throw new UsageError('say what to do: waymark state export (database → folder) or waymark state import');
  const lr = await load(a);
  const url = sharedUrlFor(a, lr);
  if (!url)
    throw new UsageError('name the state database: --state-url URL, WAYMARK_STATE_URL, or state.url in the runbook');
  const paths = runPathsFor(a, lr);
  const opts = sessionOptions(a);
  const where = describeStateUrl(url);
  if (verb === 'export') {
    if (!moveToFolder(url, paths, opts.operator))
      throw new UsageError(`there is no run of "${lr.runbook.title}" in ${where}`);
    return 0;
  }
  const lock = acquireLock(paths.lock, opts.operator);
  try {
    const state = new StateStore(paths.state).load();
    if (!state) throw new UsageError(`there is no run of "${lr.runbook.title}" in ${paths.dir}`);
    const { lines, torn } = readLines(paths.audit);
    const bad =
      torn !== undefined
        ? 'its audit log ends in a torn line'
        : problemOf(state, lines, verifyAudit(paths.audit, state.audit));
    if (bad) throw new UsageError(`the run in ${paths.dir} was not moved: ${bad}; see waymark audit --verify`);
    try {
      importRun(url, paths.name, state.runId, JSON.stringify(state, null, 2), lines);
    } catch (e) {
      if ((e as { kind?: string }).kind === 'conflict')
        throw new UsageError(`${where} already has a run of this runbook and target: nothing was moved`);
      throw e;
    }
    const archived = new StateStore(paths.state).archive(paths.archive, [paths.audit]);
    out(
      `moved run ${state.runId.slice(0, 8)} (${lines.length} events) from ${paths.dir} to ${where}; ` +
        `the folder's copy is archived in ${archived}`,
    );
  } finally {
    lock.release();
  }
  return 0;
}

/**
 * Moves the run from the database into the folder: written and verified there first, and only
 * then set aside in the database (its events stay). False when the database has no such run.
 */
export function moveToFolder(url: string, paths: RunPaths, operator: string): boolean {
  if (existsSync(paths.state) || existsSync(paths.audit))
    throw new UsageError(`a run of this runbook is already in ${paths.dir}: move it away first (waymark reset)`);
  const where = describeStateUrl(url);
  const lock = acquireLock(paths.lock, operator);
  const held = HeldRun.open(url, paths.name, thisProcess(operator));
  try {
    const co = held.checkout;
    if (co.state === undefined) return false;
    writeWhole(paths.audit, co.lines.map((l) => l + '\n').join(''));
    const state = JSON.parse(co.state) as RunState;
    const bad = problemOf(state, co.lines, verifyAudit(paths.audit, state.audit));
    if (bad) {
      unlinkSync(paths.audit); // the database keeps the run as it is
      throw new UsageError(`the run in ${where} was not moved: ${bad}`);
    }
    new StateStore(paths.state).save(state);
    held.archive();
    out(
      `moved run ${state.runId.slice(0, 8)} (${co.lines.length} events) from ${where} to ${paths.state}; ` +
        'the database keeps its events, set aside',
    );
    return true;
  } finally {
    held.close();
    lock.release();
  }
}
