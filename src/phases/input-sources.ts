// Where an input's value comes from when nobody is asked: --var NAME=VALUE (never for a secret:
// the process list shows a command line to every user), the environment, or, under --yes, its
// default. The TUI asks for what these leave open; the plain mode says what is missing.
import type { InputDef, Runbook } from '../runbook/schema.js';
import { choicesOf } from '../runbook/values.js';
import type { Session } from './session.js';

export interface InputSources {
  vars: Record<string, string>;
  env: NodeJS.ProcessEnv;
  yes: boolean;
}

/** The environment variable that gives an input: its `env:`, else its name in upper case. */
export const envName = (name: string, def: InputDef) => def.env ?? name.toUpperCase();

/** The inputs asked at the start: those no step asks for when it is reached. */
export function startInputs(rb: Runbook): string[] {
  const asked = new Set<string>();
  for (const list of [rb.phases.flatMap((p) => p.steps), rb.rollback.flatMap((r) => r.steps)])
    for (const s of list) for (const n of s.ask ?? []) asked.add(n);
  return Object.keys(rb.inputs).filter((n) => !asked.has(n));
}

/** The inputs (of `names`) the session still lacks: never given, or secret and given in another session. */
export function lacking(session: Session, names: string[]): string[] {
  return names.filter((n) => !session.state.inputs?.[n] || session.values.givenNotHeld(n));
}

/** The value an input has without asking, and from where; undefined when nothing gives it. */
export function sourcedValue(
  name: string,
  def: InputDef,
  src: InputSources,
): { value: string; from: string; auto?: boolean } | undefined {
  if (!def.secret && src.vars[name] !== undefined) return { value: src.vars[name], from: '--var' };
  const env = src.env[envName(name, def)];
  if (env !== undefined && env !== '') return { value: env, from: `$${envName(name, def)}` };
  if (src.yes && def.default !== undefined) return { value: def.default, from: 'its default (--yes)', auto: true };
  return undefined;
}

/** How to give an input in plain mode, in a few words. */
export function howToGive(name: string, def: InputDef): string {
  const choices = choicesOf(def);
  const what = choices.length
    ? ` (${choices.map((c) => c.value).join(' | ')})`
    : def.default !== undefined && !def.secret
      ? ` (default ${def.default}, taken by --yes)`
      : '';
  return def.secret
    ? `${name}${what}: set ${envName(name, def)} in the environment (a secret is never given on the command line)`
    : `${name}${what}: give --var ${name}=VALUE or set ${envName(name, def)}`;
}

/** Why a --var cannot be taken (an unknown input, a secret one), or undefined. */
export function varProblem(rb: Runbook, name: string): string | undefined {
  const def = rb.inputs[name];
  if (!def)
    return `--var ${name}: the runbook has no input "${name}"${
      Object.keys(rb.inputs).length ? ` (its inputs: ${Object.keys(rb.inputs).join(', ')})` : ''
    }`;
  if (def.secret)
    return (
      `--var ${name}: "${name}" is secret, and a command line is read by every user of the machine: ` +
      `set ${envName(name, def)} in the environment instead`
    );
  return undefined;
}
