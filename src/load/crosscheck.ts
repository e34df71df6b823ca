// Cross-references: what names something must name something that exists, and what is
// written must be able to happen (a wait that can never start is caught here, not at 2 a.m.).
import type { Runbook, Step } from '../runbook/schema.js';
import { checkParamsProblems, checkParamRefs } from '../checks/params.js';
import { parseDuration } from '../runbook/duration.js';
import { parseWaitTarget } from '../runbook/wait-target.js';
import { stepKey } from '../runbook/step-key.js';
import { crossCheckEnvironments, crossCheckValues } from './crosscheck-values.js';

export type AddProblem = (offset: number | undefined, message: string, hint?: string) => void;

/** What the cross-checks share: the runbook, where a path is, how a problem is added, what is defined. */
interface Cross {
  rb: Runbook;
  offsetOf: (p: PropertyKey[]) => number | undefined;
  add: AddProblem;
  needCheck: (id: string, path: PropertyKey[]) => void;
  phaseIds: Set<string>;
  stepKeys: Set<string>;
}

export function crossCheck(rb: Runbook, offsetOf: (p: PropertyKey[]) => number | undefined, add: AddProblem): void {
  const checkIds = new Set(Object.keys(rb.checks));
  const needCheck = (id: string, path: PropertyKey[]) => {
    if (!checkIds.has(id))
      add(
        offsetOf(path),
        `unknown check "${id}"`,
        `define it under checks: (known: ${[...checkIds].slice(0, 6).join(', ')}${checkIds.size > 6 ? ', …' : ''})`,
      );
  };
  const x: Cross = { rb, offsetOf, add, needCheck, phaseIds: new Set(), stepKeys: new Set() };
  crossCheckChecks(x);
  crossCheckData(x);
  crossCheckPhases(x);
  crossCheckOthers(x);
  crossCheckValues(rb, offsetOf, add);
  crossCheckEnvironments(rb, offsetOf, add);
}

/** Each check: its connection, its params, its timeout, the entities and baselines it names. */
function crossCheckChecks(x: Cross): void {
  const { rb, add, offsetOf, needCheck } = x;
  for (const [cid, c] of Object.entries(rb.checks)) {
    if (c.connection && !rb.connections[c.connection])
      add(
        offsetOf(['checks', cid, 'connection']),
        `check "${cid}" names unknown connection "${c.connection}"`,
        'define it under connections:',
      );
    for (const p of checkParamsProblems(c.type, c.params))
      add(
        offsetOf(['checks', cid, ...(p.path.length ? ['params', ...p.path] : ['type'])]),
        `check "${cid}" (${c.type}): ${p.message}`,
        p.hint,
      );
    if (c.timeout && parseDuration(c.timeout) === undefined)
      add(offsetOf(['checks', cid, 'timeout']), `bad duration "${c.timeout}"`, 'write e.g. "10s", "2m", "24h", "7d"');
    if (c.baseline && typeof c.baseline === 'object')
      needCheck(c.baseline.compare, ['checks', cid, 'baseline', 'compare']);
    for (const r of checkParamRefs(c.type, c.params))
      if (!rb.data[r.entity]) {
        const known = Object.keys(rb.data);
        add(
          offsetOf(['checks', cid, 'params', ...r.path]),
          `check "${cid}" (${c.type}) names unknown data entity "${r.entity}"`,
          known.length
            ? `define it under data: (known: ${known.join(', ')})`
            : 'define it under data: with its file and table',
        );
      }
  }
}

/** Each data entity: its file or parent, its connection. */
function crossCheckData(x: Cross): void {
  const { rb, add, offsetOf } = x;
  for (const [eid, e] of Object.entries(rb.data)) {
    if (!e.file && !e.nested_in)
      add(
        offsetOf(['data', eid]),
        `entity "${eid}" needs a file, or nested_in and field`,
        'e.g. file: ${DATA_DIR}/users.json',
      );
    if (e.nested_in && !e.field)
      add(
        offsetOf(['data', eid, 'nested_in']),
        `nested entity "${eid}" needs field: (the parent's array holding it)`,
        'e.g. field: tasks',
      );
    if (e.nested_in && !rb.data[e.nested_in])
      add(
        offsetOf(['data', eid, 'nested_in']),
        `entity "${eid}" is nested in unknown entity "${e.nested_in}"`,
        'define the parent under data:',
      );
    if (e.connection && !rb.connections[e.connection])
      add(
        offsetOf(['data', eid, 'connection']),
        `unknown connection "${e.connection}"`,
        'define it under connections:',
      );
  }
}

function checkSteps(x: Cross, steps: Step[], base: PropertyKey[], scope: string): void {
  const { add, offsetOf, needCheck } = x;
  const seen = new Set<string>();
  steps.forEach((s, i) => {
    if (seen.has(s.id))
      add(
        offsetOf([...base, i, 'id']),
        `duplicate step id "${s.id}" in ${scope}`,
        'step ids must be unique within their phase',
      );
    seen.add(s.id);
    if (s.kind === 'check') needCheck(s.check, [...base, i, 'check']);
    if (s.kind === 'command') {
      if (typeof s.run === 'string' && !s.shell)
        add(
          offsetOf([...base, i, 'run']),
          'a command given as one string needs shell: true',
          'write run as an argument list, e.g. [node, script.js], or add shell: true',
        );
      if (s.timeout && parseDuration(s.timeout) === undefined)
        add(offsetOf([...base, i, 'timeout']), `bad duration "${s.timeout}"`, 'write e.g. "30s", "5m"');
      for (const field of ['expect_output', 'expect', 'fail_on'] as const) {
        const v = s[field];
        (Array.isArray(v) ? v : v === undefined ? [] : [v]).forEach((pattern, k) => {
          try {
            new RegExp(pattern);
          } catch {
            const at = offsetOf([...base, i, field, ...(Array.isArray(v) ? [k] : [])]);
            add(
              at,
              `${field}: /${pattern}/ is not a valid regular expression`,
              'escape ( [ { with \\ to match them literally',
            );
          }
        });
      }
    }
    if (s.kind === 'wait' && parseDuration(s.duration) === undefined)
      add(offsetOf([...base, i, 'duration']), `bad duration "${s.duration}"`, 'write e.g. "24h", "7d", "30m"');
  });
}

/** Phases: unique ids, gates, steps, rollbacks; each wait's target exists and can start. */
function crossCheckPhases(x: Cross): void {
  const { rb, add, offsetOf, needCheck } = x;
  const { phaseIds, stepKeys } = x;
  rb.phases.forEach((ph, i) => {
    if (phaseIds.has(ph.id))
      add(offsetOf(['phases', i, 'id']), `duplicate phase id "${ph.id}"`, 'phase ids must be unique');
    phaseIds.add(ph.id);
    ph.steps.forEach((s) => stepKeys.add(stepKey(ph.id, s.id)));
    ph.gate.forEach((g, j) => needCheck(g, ['phases', i, 'gate', j]));
    checkSteps(x, ph.steps, ['phases', i, 'steps'], `phase "${ph.id}"`);
    if (ph.rollback && !rb.rollback.some((r) => r.id === ph.rollback))
      add(
        offsetOf(['phases', i, 'rollback']),
        `unknown rollback procedure "${ph.rollback}"`,
        'define it under rollback:',
      );
  });
  rb.phases.forEach((ph, i) =>
    ph.steps.forEach((s, j) => {
      if (s.kind !== 'wait') return;
      const at = offsetOf(['phases', i, 'steps', j, 'after']);
      const t = parseWaitTarget(s.after);
      const key = t?.kind === 'step' ? stepKey(t.scope, t.stepId) : undefined;
      if (!t)
        add(at, `wait "after" must be phase:ID or step:PHASE/STEP, not "${s.after}"`, 'e.g. after: "phase:backfill"');
      else if (t.kind === 'phase' && !phaseIds.has(t.phaseId))
        add(at, `wait gate names unknown phase "${t.phaseId}"`, 'use the id of a phase in this runbook');
      else if (key && !stepKeys.has(key))
        add(at, `wait gate names unknown step "${key}"`, 'write step:PHASE_ID/STEP_ID');
      else {
        const never = t.kind === 'phase' ? neverStarts(rb, i, j, t.phaseId) : neverStarts(rb, i, j, t.scope, t.stepId);
        if (never) add(at, `wait "${s.id}" can never start: ${never}`, 'make it wait for an earlier phase or step');
      }
    }),
  );
}

/** Rollback procedures, troubleshooting, monitoring, success criteria, maintenance. */
function crossCheckOthers(x: Cross): void {
  const { rb, add, offsetOf, needCheck } = x;
  const { stepKeys } = x;
  const procIds = new Set<string>();
  rb.rollback.forEach((p, i) => {
    if (procIds.has(p.id))
      add(offsetOf(['rollback', i, 'id']), `duplicate rollback id "${p.id}"`, 'rollback procedure ids must be unique');
    procIds.add(p.id);
    checkSteps(x, p.steps, ['rollback', i, 'steps'], `rollback "${p.id}"`);
  });
  const tsIds = new Set<string>();
  rb.troubleshooting.forEach((t, i) => {
    if (tsIds.has(t.id))
      add(
        offsetOf(['troubleshooting', i, 'id']),
        `duplicate troubleshooting id "${t.id}"`,
        'troubleshooting ids must be unique',
      );
    tsIds.add(t.id);
    checkSteps(x, t.diagnostics, ['troubleshooting', i, 'diagnostics'], `troubleshooting "${t.id}"`);
  });
  rb.monitoring?.checks.forEach((c, i) => needCheck(c, ['monitoring', 'checks', i]));
  rb.monitoring?.alerts.forEach((a, i) => needCheck(a.check, ['monitoring', 'alerts', i, 'check']));
  if (rb.monitoring && parseDuration(rb.monitoring.interval) === undefined)
    add(offsetOf(['monitoring', 'interval']), `bad duration "${rb.monitoring.interval}"`, 'write e.g. "30s", "5m"');
  rb.success.forEach((s, i) => {
    s.checks.forEach((c, j) => needCheck(c, ['success', i, 'checks', j]));
    s.steps.forEach((k, j) => {
      if (!stepKeys.has(k)) add(offsetOf(['success', i, 'steps', j]), `unknown step "${k}"`, 'write PHASE_ID/STEP_ID');
    });
  });
  for (const [name, steps] of Object.entries(rb.maintenance))
    checkSteps(x, steps, ['maintenance', name], `maintenance "${name}"`);
}

/**
 * Why a wait in phase `pi` (step `si`) that counts from a phase's sign-off or a step's end can
 * never start counting, or undefined. Steps run in order and a phase is signed off only when its
 * steps are done; a phase that is not `independent` starts only after the one before it.
 */
function neverStarts(rb: Runbook, pi: number, si: number, phaseId: string, stepId?: string): string | undefined {
  const ti = rb.phases.findIndex((p) => p.id === phaseId);
  const own = rb.phases[pi];
  if (stepId === undefined) {
    if (ti === pi) return `it waits for its own phase "${own.id}" to be signed off, which needs the wait done first`;
    if (ti > pi && !rb.phases[ti].independent)
      return `phase "${phaseId}" comes later and cannot start before "${own.id}" is signed off`;
    return undefined;
  }
  if (ti === pi) {
    const k = own.steps.findIndex((s) => s.id === stepId);
    if (k === si) return 'it waits for itself';
    if (k > si && !own.steps[k].optional) return `step "${stepId}" comes after it, and steps run in order`;
    return undefined;
  }
  if (ti > pi && !rb.phases[ti].independent)
    return `phase "${phaseId}" comes later and cannot start before "${own.id}" is signed off`;
  return undefined;
}
