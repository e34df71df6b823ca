// The non-interactive mode: the same engine, plain lines, for CI and pipes.
// Manual steps and sign-offs need --yes (recorded as accepted by --yes).
import type { Session } from './session.js';
import { DONE, splitStepKey } from '../state/run-state.js';
import { approvalsLine, can, gateStatus, phaseState, pointOfNoReturn, stepState, signoffBlocker } from './rules.js';
import { waitView } from './wait-words.js';
import { environmentLine, rehearsalLabel } from '../state/run-state.js';
import type { Step } from '../runbook/schema.js';
import type { CheckResult } from '../checks/types.js';
import { stepKey } from '../runbook/step-key.js';
import { howToGive, lacking, sourcedValue, startInputs, varProblem, type InputSources } from './input-sources.js';

export interface NonInteractiveOptions {
  phase?: string;
  yes: boolean;
  /** the operator's word that steps left running on another host have stopped there, and how they know */
  confirmStopped?: string;
  out: (line: string) => void;
  signal?: AbortSignal;
  /** where inputs come from: --var, the environment (and defaults under --yes) */
  inputs?: Omit<InputSources, 'yes'>;
}

export const EXIT = { ok: 0, failed: 1, input: 2, interrupted: 130 } as const;

const time = (d: Date) => d.toISOString().slice(11, 19);

export function formatCheck(r: CheckResult): string[] {
  const lines = [`${r.status.toUpperCase()} ${r.id}: ${r.summary} (${r.durationMs} ms)`];
  const metrics = Object.entries(r.metrics);
  if (metrics.length) lines.push(`  metrics: ${metrics.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  const th = Object.entries(r.thresholds ?? {});
  if (th.length) lines.push(`  thresholds: ${th.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (r.hint) lines.push(`  hint: ${r.hint}`);
  for (const a of r.artifacts ?? []) lines.push(`  file: ${a.file} — ${a.name}, ${a.lines} lines, sha256 ${a.sha256}`);
  // Evidence helps most when something is wrong.
  if (r.status === 'fail' || r.status === 'error')
    for (const e of r.evidence ?? []) {
      lines.push(`  ${e.columns.join(' | ')}`);
      for (const row of e.rows.slice(0, 10))
        lines.push(`  ${row.map((c) => (c === null ? '∅' : String(c))).join(' | ')}`);
      if (e.rows.length > 10 || e.omitted) lines.push(`  … ${e.rows.length - 10 + (e.omitted ?? 0)} more`);
    }
  return lines;
}

export async function runNonInteractive(session: Session, opts: NonInteractiveOptions): Promise<number> {
  const say = (s: string) => opts.out(`[${time(session.now())}] ${s}`);
  const rehearsal = rehearsalLabel(session.state.rehearsal);
  if (rehearsal) say(`${rehearsal}: times are on the moved clock; the audit log keeps the real time beside them`);
  const environment = environmentLine(session.state);
  if (environment) say(environment);
  for (const n of session.notices) say(`notice: ${n}`);
  const unsub = session.subscribe((c) => {
    if (c.line) opts.out(`    ${c.line.at.slice(11, 19)} ${c.line.stream === 'stderr' ? '!' : '|'} ${c.line.text}`);
  });
  try {
    const code = await walk(session, opts, say);
    // a state that could not be saved ends the run as failed, whatever came after
    if (session.failure) {
      say(`stopped: ${session.failure.message}`);
      return EXIT.failed;
    }
    return code;
  } finally {
    unsub();
  }
}

async function walk(session: Session, opts: NonInteractiveOptions, say: (s: string) => void): Promise<number> {
  const rb = session.runbook;
  const held = clearToGo(session, opts, say) ?? giveInputs(session, startInputs(rb), opts, say);
  if (held !== undefined) return held;
  const phases = opts.phase ? rb.phases.filter((p) => p.id === opts.phase) : rb.phases;
  if (!phases.length) {
    say(`unknown phase "${opts.phase}"; phases: ${rb.phases.map((p) => p.id).join(', ')}`);
    return EXIT.input;
  }
  for (const phase of phases) {
    if (phaseState(session.state, phase.id).status === 'signed-off') {
      const awaiting = approvalsLine(rb, session.state, phase.id);
      say(`${phase.title}: already signed off${awaiting ? `; ${awaiting}` : ''}`);
      // four eyes: the run goes on when someone else has approved, not before
      if (awaiting) return EXIT.failed;
      continue;
    }
    say(`== ${phase.title}${phase.objective ? ` — ${phase.objective}` : ''}`);
    for (const step of phase.steps) {
      if (opts.signal?.aborted) return EXIT.interrupted;
      if (step.kind === 'signoff') continue;
      const st = stepState(session.state, phase.id, step.id);
      if (DONE.has(st.status)) continue;
      const code = await runOne(session, phase.id, step, opts, say);
      if (code !== EXIT.ok) return code;
    }
    // Gate checks that no step ran (or that failed) are run now, once.
    for (const g of gateStatus(rb, session.state, phase.id)) {
      if (g.status === 'not-run' || g.status === 'failed') {
        const r = await session.runCheck(g.checkId, { signal: opts.signal });
        for (const l of formatCheck(r)) say(`gate ${l}`);
      }
    }
    if (opts.signal?.aborted) return EXIT.interrupted;
    const blocked = signoffBlocker(rb, session.state, phase.id);
    if (blocked) {
      say(`${phase.title} cannot be signed off: ${blocked}`);
      return EXIT.failed;
    }
    if (phase.signoff && !opts.yes) {
      say(`${phase.title} is ready for sign-off; sign it off in the TUI, or run again with --yes`);
      return EXIT.failed;
    }
    const so = phase.steps.find((s) => s.kind === 'signoff');
    const r = session.dispatch({
      type: 'phase.signoff',
      phaseId: phase.id,
      statement: so?.kind === 'signoff' ? so.statement : undefined,
      auto: true,
    });
    if (!r.ok) {
      say(r.error);
      return EXIT.failed;
    }
    say(`${phase.title}: signed off by ${session.opts.operator}${phase.signoff ? ' (accepted by --yes)' : ''}`);
    const awaiting = approvalsLine(rb, session.state, phase.id);
    if (awaiting) {
      say(`${phase.title}: ${awaiting}`);
      return EXIT.failed;
    }
  }
  return EXIT.ok;
}

/**
 * What must be settled before any step runs: steps a stopped Waymark left running here or may
 * have left running elsewhere, and a changed runbook. An exit code when the walk cannot go on.
 */
function clearToGo(session: Session, opts: NonInteractiveOptions, say: (s: string) => void): number | undefined {
  for (const o of session.stillRunning()) {
    say(
      `${o.key}: "${o.title}" is still running as process group ${o.pid} (pid ${o.pid}), started by a Waymark ` +
        `that was stopped.`,
    );
    say(
      `  It is not started again while it runs: wait for it to end, or stop it with kill -TERM -${o.pid}, ` +
        `then run again.`,
    );
  }
  if (session.stillRunning().length) return EXIT.failed;
  for (const [key, st] of Object.entries(session.state.steps)) {
    if (!st.elsewhere) continue;
    const { scope, stepId } = splitStepKey(key);
    const there = `${st.elsewhere.host} (pid ${st.elsewhere.pid}, process group ${st.elsewhere.pid})`;
    if (!opts.confirmStopped) {
      say(`${key}: may still be running on ${there}, where a Waymark stopped while it ran.`);
      say(
        '  It is not re-run or marked done before someone confirms it has stopped there: check on that host, ' +
          'then run again with --confirm-stopped "how you know it stopped".',
      );
      return EXIT.failed;
    }
    const r = session.dispatch({ type: 'step.confirm-stopped', scope, stepId, reason: opts.confirmStopped });
    if (!r.ok) {
      say(`${key}: ${r.error}`);
      return EXIT.input;
    }
    say(`${key}: recorded that it is no longer running on ${there}: ${opts.confirmStopped}`);
  }
  if (session.state.drift && !session.state.drift.acknowledgedAt) {
    say(`the runbook changed since this run began: ${session.state.drift.changed.join('; ')}`);
    if (!opts.yes) {
      say('review the changes, then run again with --yes to acknowledge them');
      return EXIT.failed;
    }
    session.dispatch({ type: 'drift.ack' });
    say('runbook changes acknowledged (--yes)');
  }
  return undefined;
}

/**
 * Gives the session the inputs of `names` it lacks, from --var, the environment or (--yes) defaults;
 * an exit code, with one sentence naming each input still missing and how to give it, when any is.
 */
function giveInputs(
  session: Session,
  names: string[],
  opts: NonInteractiveOptions,
  say: (s: string) => void,
  step?: { key: string; title: string },
): number | undefined {
  const rb = session.runbook;
  const src = { vars: opts.inputs?.vars ?? {}, env: opts.inputs?.env ?? process.env, yes: opts.yes };
  for (const name of step ? [] : Object.keys(src.vars)) {
    // a decision a step asks is its own each time it runs; the others are the run's, given once
    const was = startInputs(rb).includes(name) ? session.state.inputs?.[name] : undefined;
    const bad =
      varProblem(rb, name) ??
      (was && was.value !== src.vars[name]
        ? `--var ${name}=${src.vars[name]}: this run was given ${name}=${was.value} (by ${was.by} at ${was.at}), ` +
          'and keeps the values it was given: start a new run (waymark reset) to change it'
        : undefined);
    if (bad) {
      say(bad);
      return EXIT.input;
    }
  }
  const missing: string[] = [];
  for (const name of step ? names : lacking(session, names)) {
    const def = rb.inputs[name];
    const v = sourcedValue(name, def, src);
    if (!v) {
      missing.push(howToGive(name, def));
      continue;
    }
    const r = session.giveInput(name, v.value, { step: step?.key, auto: v.auto });
    if (!r.ok) {
      say(`${step ? `${step.key}: ` : ''}${r.error} (from ${v.from})`);
      return EXIT.input;
    }
    say(`${step ? `${step.key}: ` : ''}input ${name} = ${def.secret ? '*** (secret)' : v.value}, from ${v.from}`);
  }
  if (!missing.length) return undefined;
  const who = step ? `${step.key}: "${step.title}" asks for` : 'the run needs';
  say(`${who} ${missing.length > 1 ? 'inputs' : 'input'} ${missing.join('; ')}`);
  return EXIT.input;
}

async function runOne(
  session: Session,
  scope: string,
  step: Step,
  opts: NonInteractiveOptions,
  say: (s: string) => void,
): Promise<number> {
  const label = stepKey(scope, step.id);
  if (step.kind === 'manual' && !opts.yes) {
    say(`${label}: manual step "${step.title}" needs the operator's confirmation; run it in the TUI or pass --yes`);
    return EXIT.failed;
  }
  if (step.kind === 'wait') {
    const w = waitView(session.runbook, session.state, step, session.now());
    if (w.state !== 'due') {
      say(`${label}: ${step.title} — ${w.long}`);
      return EXIT.failed;
    }
  }
  // the inputs the rules say it needs now (a decision again, when it runs anew), and secrets not held
  const v = can(session.runbook, session.state, { type: 'start', scope, stepId: step.id }, session.now());
  const needed = [
    ...(v.ok ? v.needs.flatMap((n) => (n.kind === 'input' ? [n.name] : [])) : []),
    ...session.values.secretsNotHeld(step),
  ];
  const lacks = giveInputs(session, needed, opts, say, { key: label, title: step.title });
  if (lacks !== undefined) return lacks;
  const cmd = step.kind === 'command' ? `\n    $ ${session.commandText(step, scope)}` : '';
  say(`▶ ${label}: ${step.title}${cmd}`);
  const r = await session.runStep({
    type: 'step.start',
    scope,
    stepId: step.id,
    auto: opts.yes,
    pnrConfirmed: opts.yes,
  });
  if (!r.ok) {
    say(`${label}: ${r.error}`);
    return EXIT.failed;
  }
  const st = stepState(session.state, scope, step.id);
  if (st.check) for (const l of formatCheck(st.check)) say(`  ${l}`);
  const dur = st.durationMs !== undefined ? ` (${(st.durationMs / 1000).toFixed(1)} s)` : '';
  say(
    `${label}: ` +
      `${st.status}${st.exitCode !== undefined && st.exitCode !== null ? `, exit ${st.exitCode}` : ''}${dur}` +
      `${st.message && !st.check ? ` — ${st.message}` : ''}`,
  );
  // crossing a point of no return is said on a line of its own, with who (or what) confirmed it
  const pnr = pointOfNoReturn(session.runbook, scope, step);
  if (pnr && st.status === 'passed')
    say(
      `crossed the point of no return: ${pnr} (${label}, confirmed by ${opts.yes ? '--yes' : session.opts.operator})`,
    );
  if (session.failure) return EXIT.failed;
  if (st.status === 'interrupted') return EXIT.interrupted;
  if (!DONE.has(st.status)) return EXIT.failed;
  return EXIT.ok;
}
