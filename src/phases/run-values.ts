// The values a session lends the steps it runs: inputs and captured values from the run's record,
// and the secret ones, which the record never holds, from this session's memory. A secret given
// in an earlier session is asked again: it was never written anywhere to be read back.
import type { LoadedRunbook } from '../load/loader.js';
import type { Runbook, Step } from '../runbook/schema.js';
import type { RunState } from '../state/run-state.js';
import { inputProblem, inputsOf, resolveStepRef, type ValueRef } from '../runbook/values.js';

/** A reference's value as the run's record holds it (never a secret one: the record has none). */
export function recordedValue(rb: Runbook, state: RunState, ref: ValueRef, scope: string): string | undefined {
  if (ref.kind === 'input') return state.inputs?.[ref.name]?.value;
  const r = resolveStepRef(rb, ref.step, scope);
  return 'why' in r ? undefined : state.captured?.[r.key]?.[ref.name]?.value;
}

export class RunValues {
  private readonly secrets = new Map<string, string>();

  constructor(
    private readonly lr: LoadedRunbook,
    private readonly state: () => RunState,
  ) {}

  /** A reference's text for a step of `scope`, when the run has it. */
  value(ref: ValueRef, scope: string): string | undefined {
    const rb = this.lr.runbook;
    const key = ref.kind === 'input' ? `input:${ref.name}` : stepSecretKey(rb, ref, scope);
    return (key && this.secrets.get(key)) ?? recordedValue(rb, this.state(), ref, scope);
  }

  /** A secret input's value, held here only; undefined, or why it cannot be given. */
  holdSecret(name: string, value: string): string | undefined {
    const def = this.lr.runbook.inputs[name];
    const bad = def ? inputProblem(name, def, value) : `the runbook has no input "${name}"`;
    if (bad) return bad;
    this.secrets.set(`input:${name}`, value);
    this.lr.redactor.add(value);
    return undefined;
  }

  /** A secret value a step captured: held here, masked from now on. */
  captured(key: string, name: string, value: string): void {
    this.secrets.set(`step:${key}:${name}`, value);
    this.lr.redactor.add(value);
  }

  /** The secret inputs a step needs that the run was given, but not in this session (to ask again). */
  secretsNotHeld(step: Step): string[] {
    return inputsOf(this.lr.runbook, step).filter((n) => this.givenNotHeld(n));
  }

  /** A secret input the run was given in another session: this one has to ask for it again. */
  givenNotHeld(name: string): boolean {
    return !!this.lr.runbook.inputs[name]?.secret && !!this.state().inputs?.[name] && !this.holds(name);
  }

  holds(name: string): boolean {
    return this.secrets.has(`input:${name}`);
  }
}

function stepSecretKey(rb: Runbook, ref: Extract<ValueRef, { kind: 'step' }>, scope: string): string | undefined {
  const r = resolveStepRef(rb, ref.step, scope);
  return 'why' in r ? undefined : `step:${r.key}:${ref.name}`;
}
