// What a session finds as it opens a run: a run to create, a log a step ahead of the state (a
// crash between the two writes), a rehearsal's clock moved, the demo's target moved, steps a
// stopped Waymark left running or interrupted, a changed runbook. Each change of state is an
// engine event the session applies like any other; the rest are notes and notices.
import { randomUUID } from 'node:crypto';
import type { LoadedRunbook } from '../load/loader.js';
import { InputError } from '../runbook/errors.js';
import { lineHash, type AuditEntry, type AuditLog } from '../state/audit.js';
import { splitStepKey, type RunState } from '../state/run-state.js';
import type { EngineEvent } from './events.js';
import { reduce } from './engine.js';
import { findStep } from './rules.js';
import { changesState, createdState, replay, type RunCreated } from './replay.js';
import { targetOf } from './run-identity.js';
import { stillRunsText, type LeftRunning } from './left-running.js';
import type { Recorder } from './recorder.js';
import type { Hold } from '../state/lock.js';

/** A fact found on opening: an event to apply, or a note for the log; with what the operator is told. */
export type Fact = { event: EngineEvent; notice?: string } | { note: string; data: unknown; notice: string };

/** A new run's `run.created` record and its first state. */
function newRun(
  lr: LoadedRunbook,
  fingerprint: string,
  rehearsal: RunState['rehearsal'],
  now: Date,
  promotedFrom?: RunState['promotedFrom'],
): { data: RunCreated; state: RunState } {
  const data: RunCreated = {
    ...(lr.environment ? { environment: lr.environment } : {}),
    ...(promotedFrom ? { promotedFrom } : {}),
    runId: randomUUID(),
    runbook: lr.runbook.id,
    version: lr.runbook.version,
    hash: lr.hash,
    target: lr.redactor.redactDeep(targetOf(lr)),
    rehearsal,
    fingerprint,
    partHashes: lr.partHashes,
  };
  return { data, state: createdState(data, now.toISOString()) };
}

/**
 * A log without a state: killed between writing run.created and the first state, the log alone
 * is the run, replayed; a log of more events than that is not guessed at.
 */
function stateFromLogAlone(
  lr: LoadedRunbook,
  audit: AuditLog,
  files: { state: string; audit: string },
  reader: boolean,
) {
  const entries = audit.lines.map((l) => JSON.parse(l) as AuditEntry);
  const state =
    !reader && entries.filter(changesState).every((e) => e.event === 'run.created')
      ? replay(lr.runbook, undefined, entries, audit.lines)
      : undefined;
  if (state) return state;
  throw new InputError(
    `there is no state file ${files.state}, but the audit log ${files.audit} holds a run of ` +
      `${audit.head.seq} events: rebuild its state with \`waymark repair\`, or archive both with ` +
      `\`waymark reset\``,
  );
}

/**
 * The log is written first: it may hold events the state does not (a crash between the two
 * writes), and those are replayed. A state that includes lines the log no longer has means the
 * log's end was removed or rewritten: nothing is built on that. Undefined: nothing was missed.
 */
function caughtUp(lr: LoadedRunbook, state: RunState, audit: AuditLog, file: string) {
  const head = state.audit!;
  const lines = audit.lines;
  if (lines.length < head.seq || lineHash(lines[head.seq - 1]) !== head.hash)
    throw new InputError(
      `the audit log ${file} no longer has line ${head.seq}, the last event the state includes: ` +
        'its end was removed or rewritten. See `waymark audit --verify`; `waymark repair` rebuilds the ' +
        'state from the log as it is',
    );
  const entries = lines.slice(head.seq).map((l) => JSON.parse(l) as AuditEntry);
  const missed = entries.filter(changesState).length;
  if (!missed) return undefined;
  return { state: replay(lr.runbook, state, entries, lines)!, missed };
}

function describeMove(from: Record<string, string>, to: Record<string, string>): string {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].filter((k) => from[k] !== to[k]);
  return keys.map((k) => `${k} ${from[k] ?? '—'} → ${to[k] ?? '—'}`).join(', ');
}

/** Which parts of the runbook changed since the run began, as the drift record names them. */
function driftEvent(lr: LoadedRunbook, state: RunState): EngineEvent | undefined {
  if (lr.hash === state.runbookHash || state.drift?.hash === lr.hash) return undefined;
  const changed: string[] = [];
  const keys = new Set([...Object.keys(lr.partHashes), ...Object.keys(state.partHashes ?? {})]);
  for (const k of keys) {
    const was = state.partHashes?.[k];
    const is = lr.partHashes[k];
    if (was !== is) changed.push(`${k} ${was === undefined ? 'added' : is === undefined ? 'removed' : 'changed'}`);
  }
  if (!changed.length) changed.push('runbook header, vars, checks or other sections changed');
  return { type: 'runbook.drift', changed, hash: lr.hash, partHashes: lr.partHashes };
}

export interface Opening {
  /** the clock this session runs on, when WAYMARK_CLOCK_OFFSET is set */
  clock: RunState['rehearsal'];
  /** when the last event was recorded, by the real clock */
  lastAt?: string;
  /** steps a stopped Waymark left running on this host, whose process group lives */
  left: LeftRunning[];
  host: string;
}

/** The facts of an existing run this session opens, in the order they are recorded. */
function openingFacts(lr: LoadedRunbook, state: RunState, o: Opening): Fact[] {
  const facts: Fact[] = [];
  const was = state.rehearsal;
  if (was && o.clock && o.clock.offsetMs !== was.offsetMs)
    facts.push({
      event: { type: 'clock.offset-changed', from: was.offset, to: o.clock.offset, rehearsal: o.clock },
      notice: `rehearsal clock moved from +${was.offset} to +${o.clock.offset} (recorded in the audit log)`,
    });
  if (o.lastAt && Date.now() < Date.parse(o.lastAt) - 5 * 60_000) {
    // a real clock that went back: times recorded from now on would read out of order
    const data = { lastRecorded: o.lastAt, now: new Date().toISOString() };
    const notice =
      `this machine's clock reads ${data.now}, before the last recorded event (${o.lastAt}); ` + 'check its time';
    facts.push({ note: 'clock.backwards', data, notice });
  }
  // Only `waymark demo` (a fixed fingerprint) keeps one run while its target moves: its ports are
  // chosen afresh when the saved ones are taken. Screens and reports name the target the commands
  // now reach, and the audit log says it moved.
  const target = lr.redactor.redactDeep(targetOf(lr));
  if (JSON.stringify(target) !== JSON.stringify(state.target))
    facts.push({
      event: { type: 'run.target-moved', from: state.target, to: target },
      notice:
        `the target moved since this run began (${describeMove(state.target, target)}); the run goes on ` +
        'against the new one',
    });
  const keep = o.left.map((l) => l.key);
  const interrupted = Object.entries(state.steps).some(([k, st]) => st.status === 'running' && !keep.includes(k));
  facts.push({
    event: { type: 'recover', keep, host: o.host },
    notice: interrupted
      ? 'a step was interrupted when Waymark last stopped: re-run it, mark it done or skip it (with a reason)'
      : undefined,
  });
  return facts;
}

/** After the facts: steps that may still run elsewhere or here, which the operator must know of. */
function stillRunningNotices(lr: LoadedRunbook, state: RunState, left: LeftRunning[]): string[] {
  const notices: string[] = [];
  for (const [key, st] of Object.entries(state.steps)) {
    const { scope, stepId } = splitStepKey(key);
    if (st.elsewhere)
      notices.push(
        `"${findStep(lr.runbook, scope, stepId)?.title ?? key}" may still be running on ${st.elsewhere.host} ` +
          `(pid ${st.elsewhere.pid}, process group ${st.elsewhere.pid}), where a Waymark stopped while it ran: ` +
          'before it is re-run or marked done, confirm it has stopped there (you are asked how you know)',
      );
  }
  for (const o of left) notices.push(`${stillRunsText(o)}; it will not start twice: wait for it to end, or stop it`);
  return notices;
}

/** A new run: only where neither a state file nor an audit log of this run exists. */
export function createRun(
  rec: Recorder,
  fingerprint: string,
  rehearsal: RunState['rehearsal'],
  promotedFrom?: RunState['promotedFrom'],
): RunState {
  const { lr, audit, by } = rec;
  if (audit.head.seq > 0) {
    // killed between writing run.created and the first state: the log alone is the run
    const state = stateFromLogAlone(lr, audit, rec.store.paths, by.readOnly);
    rec.save(state);
    rec.notice('the run had been created but its state not yet saved (a crash): rebuilt from the audit log');
    return state;
  }
  const now = by.now();
  const { data, state } = newRun(lr, fingerprint, rehearsal, now, promotedFrom);
  if (by.readOnly) return (rec.state = state);
  const torn = audit.setAsideTorn(); // before the first line of the new run
  rec.state = state;
  rec.commit(state, { name: 'run.created', data, at: now });
  if (torn) tornNotice(rec, torn);
  return rec.state;
}

/**
 * An existing run a writer opens: the log's missed events, then what has changed since it last
 * stopped, each recorded; the drift last. Returns the steps left running here, to be watched.
 */
export function resumeRun(rec: Recorder, clock: RunState['rehearsal'], left: LeftRunning[]): void {
  const { lr, audit } = rec;
  if (rec.state.audit) {
    const missed = caughtUp(lr, rec.state, audit, rec.store.paths.audit);
    if (missed) {
      rec.save(missed.state);
      rec.notice(
        `${missed.missed} event(s) in the audit log were not in the state (a crash between the two writes): replayed`,
      );
    }
  }
  const torn = audit.setAsideTorn();
  if (torn) tornNotice(rec, torn);
  for (const f of openingFacts(lr, rec.state, { clock, lastAt: audit.lastAt, left, host: rec.by.host })) {
    if ('note' in f) rec.note(f.note, f.data);
    else rec.apply(f.event, { strict: true });
    if (f.notice) rec.notice(f.notice);
  }
  for (const n of stillRunningNotices(lr, rec.state, left)) rec.notice(n);
  // the drift, last: recorded once per runbook version, until acknowledged
  const drift = driftEvent(lr, rec.state);
  if (drift) rec.apply(drift, { strict: true });
}

function tornNotice(rec: Recorder, torn: { file: string; bytes: number }): void {
  rec.notice(
    `the audit log ended in a line cut short by a crash (${torn.bytes} bytes); it was set aside in ${torn.file}`,
  );
  rec.note('audit.torn-line-set-aside', torn);
}

/** A reader of a run whose session died shows its running steps as interrupted, without writing. */
export function showInterrupted(rec: Recorder, left: LeftRunning[]): void {
  const keep = left.map((o) => o.key);
  const r = reduce(rec.lr.runbook, rec.state, { type: 'recover', keep, host: rec.by.host }, rec.ctx());
  if (r.ok) rec.state = r.state;
}

/** The lock of a run whose holder was gone, taken over: the operator is told whose it was. */
export function tookOver(hold: Hold): string {
  const from = hold.tookOverFrom!;
  return (
    `took over a stale lock from ${from.operator} on ${from.host} (pid ${from.pid}, since ${from.since}); ` + hold.gone
  );
}
