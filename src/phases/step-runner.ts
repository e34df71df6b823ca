// Carries out a step's effect: runs its command (in its own process group, with a timeout, its
// output judged and kept as a tail), its check, or its edit of an env file; returns the
// `step.finished` event the session feeds to the engine. It writes nothing of the run itself.
import { resolve } from 'node:path';
import type { LoadedRunbook } from '../load/loader.js';
import { parseDuration } from '../runbook/duration.js';
import type { Step } from '../runbook/schema.js';
import type { CheckResult, Metric } from '../checks/types.js';
import type { ConnectionManager } from '../checks/pg.js';
import type { OutputLine } from '../process/run.js';
import type { OutputTailLine } from '../state/run-state.js';
import type { Effect, EventOf } from './events.js';
import { findStep } from './rules.js';
import { stepKey } from '../state/run-state.js';
import { stepCommandLine } from './plan.js';
import { OPERATOR_CANCEL } from './stop-reason.js';
import { OutputJudge, outputRules } from './output-judge.js';
import { Capturer, type Captured } from './capture.js';
import { substituteDeep, type ValueRef } from '../runbook/values.js';

/** A command step without timeout: is stopped after this (a hung command must not hold the run). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30 * 60_000;
/** PGCONNECT_TIMEOUT given to commands unless already set: seconds to wait for a server to answer. */
export const PG_CONNECT_TIMEOUT_S = 10;

const TAIL_LINES = 40;

export type Finished = EventOf<'step.finished'>;
type StepEffect = Exclude<Effect, { type: 'sign-phase' }>;

export interface RunnerContext {
  lr: LoadedRunbook;
  connections: ConnectionManager;
  artifactsDir: string;
  host: string;
  now: () => Date;
  /** the metrics recorded as baselines so far */
  baselines(): Record<string, Record<string, Metric>>;
  /** the process group is recorded before the step can outlive this session */
  started(event: EventOf<'step.process'>): void;
  /** a line of output (or a check's progress), secrets masked */
  line(key: string, line: OutputLine): void;
  /** an input's or a captured value's text for a step of this scope, when the run has it */
  value(ref: ValueRef, scope: string): string | undefined;
  /** a secret value a step captured: the session keeps it (in memory only) and masks it from here on */
  secretCaptured(key: string, name: string, value: string): void;
}

export class StepRunner {
  constructor(private readonly c: RunnerContext) {}

  async run(effect: StepEffect, signal: AbortSignal): Promise<Finished> {
    const step = findStep(this.c.lr.runbook, effect.scope, effect.stepId)!;
    if (effect.type === 'run-command') return this.command(effect.scope, step, signal);
    if (effect.type === 'run-check') return this.checkStep(effect.scope, step, effect.checkId, signal);
    return this.editEnv(effect.scope, step);
  }

  /** The command of a step as it will run, secrets masked: for screens, plans and reports. */
  commandText(step: Step, scope?: string): string {
    if (step.kind !== 'command') return '';
    return stepCommandLine(scope === undefined ? step : this.withValues(scope, step), this.c.lr.redactor);
  }

  /** A step with the inputs and captured values it uses written in (those the run has). */
  withValues<S>(scope: string, step: S): S {
    return substituteDeep(step, (ref) => this.c.value(ref, scope));
  }

  /** The captured values as the event records them (a secret one kept by the session, not the event). */
  private captured(key: string, c: Captured): Finished['captured'] {
    const out: NonNullable<Finished['captured']> = {};
    for (const [name, v] of Object.entries(c.values)) {
      if (v.secret) this.c.secretCaptured(key, name, v.value);
      out[name] = v.secret ? { secret: true } : { value: this.c.lr.redactor.redact(v.value) };
    }
    return Object.keys(out).length ? out : undefined;
  }

  /** A check run; from a step (`scope`), its params hold the inputs and captured values they use. */
  async check(
    checkId: string,
    signal?: AbortSignal,
    progress?: (text: string) => void,
    scope = '',
  ): Promise<CheckResult> {
    const { runCheck } = await import('../checks/run.js');
    const { lr } = this.c;
    const ctx = {
      connections: this.c.connections,
      connectionDefs: lr.runbook.connections,
      data: lr.runbook.data,
      baseDir: lr.dir,
      redactor: lr.redactor,
      baselines: this.c.baselines(),
      artifactsDir: this.c.artifactsDir,
      progress,
    };
    return runCheck(checkId, this.withValues(scope, lr.runbook.checks[checkId]), ctx, signal, this.c.now);
  }

  private async command(scope: string, written: Step, signal: AbortSignal): Promise<Finished> {
    if (written.kind !== 'command') throw new Error(`"${written.title}" is not a command step`);
    const step = this.withValues(scope, written);
    const capture = new Capturer(step.capture);
    const { runProcess } = await import('../process/run.js');
    const { lr, host } = this.c;
    const key = stepKey(scope, step.id);
    const tail: OutputTailLine[] = [];
    const judge = new OutputJudge(outputRules(step));
    const timeoutMs = step.timeout ? parseDuration(step.timeout)! : DEFAULT_COMMAND_TIMEOUT_MS;
    const r = await runProcess({
      argv: step.run,
      shell: step.shell,
      cwd: step.cwd ? resolve(lr.dir, step.cwd) : lr.dir,
      // libpq tools (psql, createdb, pg_dump) and node-postgres wait forever for a silent server
      // by default: 10 s unless the environment or the step says otherwise
      env: {
        ...(process.env.PGCONNECT_TIMEOUT ? {} : { PGCONNECT_TIMEOUT: String(PG_CONNECT_TIMEOUT_S) }),
        ...step.env,
      },
      timeoutMs,
      signal,
      background: step.background,
      onStart: (pid) => {
        if (pid !== undefined) this.c.started({ type: 'step.process', scope, stepId: step.id, pid, host });
      },
      onLine: (line) => {
        capture.line(line.text, line.stream);
        const safe = { ...line, text: lr.redactor.redact(line.text) };
        judge.line(safe.text);
        tail.push(safe);
        if (tail.length > TAIL_LINES) tail.shift();
        this.c.line(key, safe);
      },
    });
    const expected =
      step.expect_exit === undefined ? [0] : Array.isArray(step.expect_exit) ? step.expect_exit : [step.expect_exit];
    let ok = step.background ? !r.error : r.exitCode !== null && expected.includes(r.exitCode);
    let message: string | undefined;
    if (r.error) message = `could not start: ${r.error}`;
    else if (r.timedOut) message = timedOut(timeoutMs, !step.timeout);
    else if (r.cancelled)
      message = `${typeof signal.reason === 'string' ? signal.reason : OPERATOR_CANCEL}; the process tree was killed`;
    else if (!ok) message = `exit code ${r.exitCode ?? r.signal}, expected ${expected.join(' or ')}`;
    if (judge.active && !r.error && !r.timedOut && !r.cancelled) {
      const v = judge.verdict();
      // the exit code's sentence first, when it failed too: both are why
      if (ok) message = v.message;
      else if (!v.ok) message = `${message}; ${v.message}`;
      ok = ok && v.ok;
    }
    const got = ok && !r.timedOut && !r.cancelled && capture.active ? capture.finish() : undefined;
    if (got?.missing.length) {
      ok = false;
      message = got.missing.join('; ');
    }
    return {
      type: 'step.finished',
      scope,
      stepId: step.id,
      ok: ok && !r.timedOut && !r.cancelled,
      exitCode: r.exitCode,
      durationMs: r.durationMs,
      outputTail: tail,
      command: this.commandText(step),
      message,
      interrupted: r.cancelled,
      captured: got && !got.missing.length ? this.captured(key, got) : undefined,
    };
  }

  /** A long check's progress shows as the step's output, as a command's lines do. */
  private async checkStep(scope: string, step: Step, checkId: string, signal: AbortSignal): Promise<Finished> {
    const key = stepKey(scope, step.id);
    const progress = (text: string) =>
      this.c.line(key, { at: this.c.now().toISOString(), stream: 'stdout', text: this.c.lr.redactor.redact(text) });
    const result = await this.check(checkId, signal, progress, scope);
    let ok = result.status === 'pass' || result.status === 'warn';
    const got = ok && step.kind === 'check' && step.capture ? new Capturer(step.capture).fromCheck(result) : undefined;
    if (got?.missing.length) ok = false;
    return {
      type: 'step.finished',
      scope,
      stepId: step.id,
      ok,
      check: result,
      durationMs: result.durationMs,
      message: got?.missing.length ? `${result.summary}; ${got.missing.join('; ')}` : result.summary,
      captured: got && !got.missing.length ? this.captured(key, got) : undefined,
    };
  }

  private async editEnv(scope: string, step: Step): Promise<Finished> {
    if (step.kind !== 'edit-env') throw new Error(`"${step.title}" is not an edit-env step`);
    const { applyEnvEdit, planEnvEdit, formatEnvDiff } = await import('./env-edit.js');
    const { lr, now } = this.c;
    const file = resolve(lr.dir, step.file);
    const diff = formatEnvDiff(planEnvEdit(file, step.set), (v) => lr.redactor.redact(v));
    const backup = applyEnvEdit(file, step.set, now());
    return {
      type: 'step.finished',
      scope,
      stepId: step.id,
      ok: true,
      message: `${file} updated${backup ? ` (backup ${backup})` : ''}`,
      outputTail: diff.map((text) => ({ at: now().toISOString(), stream: 'stdout' as const, text })),
    };
  }
}

function timedOut(timeoutMs: number, byDefault: boolean): string {
  const took = timeoutMs >= 120_000 ? `${Math.round(timeoutMs / 60_000)} min` : `${Math.round(timeoutMs / 1000)} s`;
  return (
    `timed out after ${took}${byDefault ? ' (the default; give the step a timeout: to change it)' : ''}; the ` +
    'process tree was killed'
  );
}
