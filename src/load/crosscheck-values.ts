// Cross-references of the values a run learns: each `${inputs.NAME}` names a declared input,
// each `${steps.STEP.NAME}` a value an earlier step captures, each capture can capture, and
// nothing that is read before a run begins (connections, data, probes) uses either.
import type { Runbook, Step } from '../runbook/schema.js';
import { resolveStepRef, scopesOf, valueRefs, type ValueRef } from '../runbook/values.js';

type AddProblem = (offset: number | undefined, message: string, hint?: string) => void;
type Offset = (p: PropertyKey[]) => number | undefined;

/** Each reference inside a value, with the path of the string that makes it. */
function* refsAt(value: unknown, path: PropertyKey[]): Generator<{ ref: ValueRef; path: PropertyKey[] }> {
  if (typeof value === 'string') for (const ref of valueRefs(value)) yield { ref, path };
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* refsAt(v, [...path, i]);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) yield* refsAt(v, [...path, k]);
}

/** Where a list of steps sits in the runbook's text, by its scope. */
function basePath(rb: Runbook, scope: string): PropertyKey[] {
  const [kind, id] = scope.includes(':') ? scope.split(/:(.*)/) : ['phase', scope];
  if (kind === 'phase') return ['phases', rb.phases.findIndex((p) => p.id === id), 'steps'];
  if (kind === 'rollback') return ['rollback', rb.rollback.findIndex((r) => r.id === id), 'steps'];
  if (kind === 'troubleshooting')
    return ['troubleshooting', rb.troubleshooting.findIndex((t) => t.id === id), 'diagnostics'];
  return ['maintenance', id];
}

/** The place of a step in the order a run reaches it: [phase index, step index]; procedures come after. */
function order(rb: Runbook, key: string): [number, number] {
  const scope = key.slice(0, key.lastIndexOf('/'));
  const id = key.slice(key.lastIndexOf('/') + 1);
  const pi = rb.phases.findIndex((p) => p.id === scope);
  const steps = pi >= 0 ? rb.phases[pi].steps : [...scopesOf(rb)].find(([s]) => s === scope)?.[1];
  return [pi >= 0 ? pi : rb.phases.length, steps?.findIndex((s) => s.id === id) ?? 0];
}

/** Why a reference made at `from` (a step key, or undefined for a check's params) is wrong, or undefined. */
function refProblem(rb: Runbook, ref: ValueRef, scope: string, from: string | undefined): string | undefined {
  if (ref.kind === 'input')
    return rb.inputs[ref.name] ? undefined : `${ref.text} names no input: declare "${ref.name}" under inputs:`;
  const r = resolveStepRef(rb, ref.step, scope);
  if ('why' in r) return `${ref.text}: ${r.why}`;
  const cap = r.step.kind === 'command' || r.step.kind === 'check' ? r.step.capture : undefined;
  if (!cap?.[ref.name]) return `${ref.text}: step "${r.key}" captures no value "${ref.name}" (add it to its capture:)`;
  if (!from) return undefined;
  const [a, b] = [order(rb, r.key), order(rb, from)];
  const samePhaseOrProc = r.key.slice(0, r.key.lastIndexOf('/')) === scope;
  const earlier = a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  // a procedure runs after the phases: it may use any phase's value, and its own earlier steps'
  if (a[0] < rb.phases.length ? earlier : samePhaseOrProc && a[1] < b[1]) return undefined;
  return `${ref.text}: step "${r.key}" does not run before "${from}", so its value is not captured yet`;
}

/** A secret value written into a command line, where any user of the machine reads it (ps). */
function onCommandLine(rb: Runbook, ref: ValueRef, scope: string, field: PropertyKey): string | undefined {
  if (field !== 'run') return undefined;
  let secret = ref.kind === 'input' && rb.inputs[ref.name]?.secret;
  if (ref.kind === 'step') {
    const r = resolveStepRef(rb, ref.step, scope);
    const cap = 'step' in r && (r.step.kind === 'command' || r.step.kind === 'check') ? r.step.capture : undefined;
    const def = cap?.[ref.name];
    secret = typeof def === 'object' && !!def.secret;
  }
  return secret ? `${ref.text} is secret, and a command line is read by any user of the machine (ps)` : undefined;
}

/** A capture: a pattern (with one group, that compiles) or a JSON path, not both. */
function captureProblem(def: NonNullable<Extract<Step, { kind: 'command' }>['capture']>[string]): string | undefined {
  const d = typeof def === 'string' ? { pattern: def } : def;
  if (!d.pattern === !d.json) return 'give a capture either pattern: (a regular expression) or json: (a path)';
  if (!d.pattern) return undefined;
  try {
    const groups = new RegExp(`${d.pattern}|`).exec('')!.length - 1;
    if (groups < 1) return `/${d.pattern}/ has no group: put the value to capture in ( )`;
  } catch {
    return `/${d.pattern}/ is not a valid regular expression`;
  }
  return undefined;
}

function stepValues(rb: Runbook, scope: string, step: Step, at: PropertyKey[], off: Offset, add: AddProblem) {
  const from = `${scope}/${step.id}`;
  (step.ask ?? []).forEach((name, k) => {
    if (!rb.inputs[name]) add(off([...at, 'ask', k]), `ask: "${name}" is no input`, 'declare it under inputs:');
  });
  for (const { ref, path } of refsAt(step, at)) {
    const why = refProblem(rb, ref, scope, from) ?? onCommandLine(rb, ref, scope, path[at.length]);
    if (why) add(off(path), why, 'pass it through env: (e.g. env: { TOKEN: "${inputs.token}" }) and use "$TOKEN"');
  }
  const cap = step.kind === 'command' || step.kind === 'check' ? step.capture : undefined;
  for (const [name, def] of Object.entries(cap ?? {})) {
    const why = captureProblem(def);
    if (why) add(off([...at, 'capture', name]), `capture "${name}": ${why}`);
  }
}

export function crossCheckValues(rb: Runbook, off: Offset, add: AddProblem): void {
  for (const [scope, steps] of scopesOf(rb)) {
    const base = basePath(rb, scope);
    steps.forEach((s, i) => stepValues(rb, scope, s, [...base, i], off, add));
  }
  for (const [id, c] of Object.entries(rb.checks))
    for (const { ref, path } of refsAt(c.params, ['checks', id, 'params'])) {
      const why = refProblem(rb, ref, '', undefined);
      if (why) add(off(path), why);
    }
  // read before any step runs (or by commands that run no step): only vars are known there
  const early = { connections: rb.connections, data: rb.data, probes: rb.probes, notify: rb.notify, state: rb.state };
  for (const [k, v] of Object.entries(early))
    for (const { ref, path } of refsAt(v, [k]))
      add(
        off(path),
        `${ref.text} is known only while a step runs, and ${k} are read before any does`,
        'use a var (${NAME}) here',
      );
  for (const [name, def] of Object.entries(rb.inputs))
    if (def.pattern)
      try {
        new RegExp(def.pattern);
      } catch {
        add(off(['inputs', name, 'pattern']), `input "${name}": /${def.pattern}/ is not a valid regular expression`);
      }
}

/** Environments: each promotes from another one, never from itself; the vars they set and the names used exist. */
export function crossCheckEnvironments(rb: Runbook, off: Offset, add: AddProblem): void {
  const names = Object.keys(rb.environments);
  const known = names.length ? `(its environments: ${names.join(', ')})` : '(declare them under environments:)';
  for (const [name, e] of Object.entries(rb.environments)) {
    if (e.promote_from === name)
      add(off(['environments', name, 'promote_from']), `environment "${name}" cannot be promoted from itself`);
    else if (e.promote_from && !rb.environments[e.promote_from])
      add(off(['environments', name, 'promote_from']), `promote_from: no environment "${e.promote_from}" ${known}`);
    for (const v of Object.keys(e.vars))
      if (!rb.vars[v])
        add(
          off(['environments', name, 'vars', v]),
          `environment "${name}" sets ${v}, which is no var`,
          'declare it under vars:',
        );
  }
  const limited = (list: string[] | undefined, path: PropertyKey[]) =>
    (list ?? []).forEach((n, i) => {
      if (!rb.environments[n]) add(off([...path, 'environments', i]), `no environment "${n}" ${known}`);
    });
  rb.phases.forEach((p, i) => {
    limited(p.environments, ['phases', i]);
    p.steps.forEach((s, j) => limited(s.environments, ['phases', i, 'steps', j]));
  });
  rb.rollback.forEach((r, i) => r.steps.forEach((s, j) => limited(s.environments, ['rollback', i, 'steps', j])));
}
