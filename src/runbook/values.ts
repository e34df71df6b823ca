// The values a run learns as it goes: inputs an operator gives (`${inputs.NAME}`) and values a
// step captures from its output (`${steps.STEP.NAME}`, or `${steps.PHASE/STEP.NAME}` where the
// step's id is used in more than one place). Vars are substituted when the runbook loads; these
// only when a step runs, from the run's record, so the runbook keeps them as written.
import type { InputDef, Runbook, Step } from './schema.js';
import { stepKey } from './step-key.js';

export type ValueRef =
  { kind: 'input'; name: string; text: string } | { kind: 'step'; step: string; name: string; text: string };

const VALUE_REF = /\$\{(inputs|steps)\.([^}\s]+)\}/g;

/** The references a string makes, in order. */
export function valueRefs(text: string): ValueRef[] {
  const out: ValueRef[] = [];
  for (const m of text.matchAll(VALUE_REF)) {
    const [whole, kind, rest] = m;
    if (kind === 'inputs') out.push({ kind: 'input', name: rest, text: whole });
    else {
      const dot = rest.lastIndexOf('.');
      if (dot > 0) out.push({ kind: 'step', step: rest.slice(0, dot), name: rest.slice(dot + 1), text: whole });
    }
  }
  return out;
}

/** Every reference made by any string inside a value. */
export function refsDeep(value: unknown): ValueRef[] {
  if (typeof value === 'string') return valueRefs(value);
  if (Array.isArray(value)) return value.flatMap(refsDeep);
  if (value && typeof value === 'object') return Object.values(value).flatMap(refsDeep);
  return [];
}

/** A string with each reference the lookup knows replaced by its value; the others stay as written. */
export function substituteValues(text: string, lookup: (ref: ValueRef) => string | undefined): string {
  return text.replace(VALUE_REF, (whole) => {
    const [ref] = valueRefs(whole);
    return (ref && lookup(ref)) ?? whole;
  });
}

/** A value with every string in it substituted (see substituteValues). */
export function substituteDeep<T>(value: T, lookup: (ref: ValueRef) => string | undefined): T {
  if (typeof value === 'string') return substituteValues(value, lookup) as T;
  if (Array.isArray(value)) return value.map((v) => substituteDeep(v, lookup) as unknown) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteDeep(v, lookup)])) as T;
  return value;
}

/** Every list of steps with its scope, phases first (in order), then procedures, troubleshooting, maintenance. */
export function* scopesOf(rb: Pick<Runbook, 'phases' | 'rollback' | 'troubleshooting' | 'maintenance'>) {
  for (const p of rb.phases) yield [p.id, p.steps] as const;
  for (const r of rb.rollback) yield [`rollback:${r.id}`, r.steps] as const;
  for (const t of rb.troubleshooting) yield [`troubleshooting:${t.id}`, t.diagnostics] as const;
  for (const [name, steps] of Object.entries(rb.maintenance)) yield [`maintenance:${name}`, steps] as const;
}

/**
 * The step a `${steps.STEP.NAME}` names, as its key: `PHASE/STEP` as written, or a bare id looked
 * up in the referring step's own list first, then everywhere (it must then be used once only).
 * Undefined with why when it names none, or more than one.
 */
export function resolveStepRef(
  rb: Pick<Runbook, 'phases' | 'rollback' | 'troubleshooting' | 'maintenance'>,
  step: string,
  fromScope: string,
): { key: string; step: Step } | { why: string } {
  const slash = step.lastIndexOf('/');
  const found: Array<{ key: string; step: Step }> = [];
  for (const [scope, steps] of scopesOf(rb))
    for (const s of steps)
      if (slash >= 0 ? `${scope}/${s.id}` === step : s.id === step) found.push({ key: stepKey(scope, s.id), step: s });
  if (found.length === 1) return found[0];
  const own = found.filter((f) => f.key.startsWith(`${fromScope}/`));
  if (own.length === 1) return own[0];
  if (!found.length) return { why: `no step "${step}"` };
  return { why: `step id "${step}" is used in ${found.map((f) => f.key).join(', ')}: write \${steps.PHASE/STEP.NAME}` };
}

/** The references that decide whether a step may run: its own strings, and its check's params. */
export function stepRefs(rb: Pick<Runbook, 'checks'>, step: Step): ValueRef[] {
  const { title: _t, instructions: _i, ...runs } = step;
  return [...refsDeep(runs), ...(step.kind === 'check' ? refsDeep(rb.checks[step.check]?.params) : [])];
}

/** The inputs a step needs before it runs: those it asks for, then those its strings use. */
export function inputsOf(rb: Pick<Runbook, 'checks'>, step: Step): string[] {
  const names = [...(step.ask ?? []), ...stepRefs(rb, step).flatMap((r) => (r.kind === 'input' ? [r.name] : []))];
  return [...new Set(names)];
}

/** The values an input may take, each with what it does. */
export function choicesOf(def: InputDef): Array<{ value: string; description?: string }> {
  return (def.choices ?? []).map((c) => (typeof c === 'string' ? { value: c } : c));
}

/** Why a value cannot be given for an input, in a sentence; undefined when it can. */
export function inputProblem(name: string, def: InputDef, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return `input "${name}" needs a value`;
  const choices = choicesOf(def);
  if (choices.length && !choices.some((c) => c.value === value))
    return `input "${name}" is one of ${choices.map((c) => c.value).join(' | ')}, not "${def.secret ? '***' : value}"`;
  if (def.pattern && !new RegExp(`^(?:${def.pattern})$`).test(value))
    return `input "${name}" must match /${def.pattern}/${def.secret ? '' : `, and "${value}" does not`}`;
  return undefined;
}
