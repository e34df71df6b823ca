// Carries out the effects `reduce` asks for and feeds their results back as events: a step's
// command, check or env edit (step-runner.ts), taken after the target databases' locks
// (target-guard.ts); a sign-off's signature (signing.ts). Keeps what runs, to wait for or stop.
import type { LoadedRunbook } from '../load/loader.js';
import { DiskError } from '../state/durable.js';
import { stepKey } from '../state/run-state.js';
import { reduce, type Effect } from './engine.js';
import type { Recorder } from './recorder.js';
import type { StepRunner, Finished } from './step-runner.js';
import type { TargetGuard } from './target-guard.js';
import { signSignoff, type Signer } from './signing.js';
import { OPERATOR_CANCEL } from './stop-reason.js';

export class Effects {
  /** the steps running now, by step key */
  readonly running = new Map<string, AbortController>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly lr: LoadedRunbook,
    private readonly rec: Recorder,
    private readonly runner: StepRunner,
    private readonly targets: TargetGuard,
    private readonly signer: Signer,
  ) {}

  perform(effect: Effect): Promise<void> {
    return effect.type === 'sign-phase' ? this.sign(effect.phaseId) : this.step(effect);
  }

  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** Stops running steps; `why` is what the step's record will say stopped it. */
  cancel(key?: string, why = OPERATOR_CANCEL): void {
    for (const [k, ac] of this.running) if (!key || k === key) ac.abort(why);
  }

  /** A write that failed (a full disk) ends the effect quietly: the recorder has stopped writing. */
  track(p: Promise<void>): Promise<void> {
    p = p.catch((e) => {
      if (!(e instanceof DiskError)) throw e;
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  /** Signs a sign-off (signing.ts): by its own operator only, over the log's head as it is now. */
  sign(phaseId: string): Promise<void> {
    const { rec } = this;
    const signing = signSignoff(this.lr, rec.state, phaseId, rec.audit.head, this.signer);
    return this.track(
      signing.then((s) => {
        if (s?.ok) {
          const ctx = rec.ctx();
          const r = reduce(this.lr.runbook, rec.state, s.event, ctx);
          if (r.ok) rec.safeCommit(r.state, { name: 'phase.signature', data: s.data, at: ctx.now });
        } else if (s) {
          rec.note('phase.signature-failed', { phaseId, reason: s.reason });
          rec.notice(`the sign-off of "${s.title}" is recorded but not signed: ${s.reason}`);
        }
      }),
    );
  }

  private step(effect: Exclude<Effect, { type: 'sign-phase' }>): Promise<void> {
    const { scope, stepId } = effect;
    const key = stepKey(scope, stepId);
    const ac = new AbortController();
    this.running.set(key, ac);
    const failed = (message: string): Finished => ({ type: 'step.finished', scope, stepId, ok: false, message });
    const p = (async () => {
      try {
        if (this.targets.wanted) {
          try {
            await this.targets.lock();
          } catch (e) {
            return this.finish(failed((e as Error).message));
          }
        }
        this.finish(await this.runner.run(effect, ac.signal));
      } catch (e) {
        if (e instanceof DiskError) this.rec.failure ??= e;
        else this.finish(failed(`internal error: ${(e as Error).message}`));
      } finally {
        this.running.delete(key);
      }
    })();
    return this.track(p);
  }

  /** A step's end: the engine sees it with secrets masked; the audit log masks what it writes itself. */
  private finish(event: Finished): void {
    const { type, scope, stepId, ...data } = event;
    this.rec.apply(event, { reduced: { type, scope, stepId, ...this.lr.redactor.redactDeep(data) } });
  }
}
