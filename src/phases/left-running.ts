// A step's command runs in its own process group, so it outlives a Waymark killed with
// SIGKILL. Such a step must not be started a second time while its group lives: two copies
// of a migration step would run side by side.
import type { Runbook } from '../runbook/schema.js';
import { groupAlive } from '../state/lock.js';
import { findStep } from './rules.js';
import { splitStepKey, type RunState } from '../state/run-state.js';

export interface LeftRunning {
  key: string;
  /** the process group (the leader's pid) */
  pid: number;
  title: string;
}

/** Steps recorded as running on this host whose process group still lives; `own` are this session's. */
export function leftRunning(
  rb: Runbook,
  state: RunState,
  host: string,
  own: Set<string>,
  alive = groupAlive,
): LeftRunning[] {
  const out: LeftRunning[] = [];
  for (const [key, st] of Object.entries(state.steps)) {
    if (st.status !== 'running' || !st.process || st.process.host !== host || own.has(key) || !alive(st.process.pid))
      continue;
    const { scope, stepId } = splitStepKey(key);
    out.push({ key, pid: st.process.pid, title: findStep(rb, scope, stepId)?.title ?? key });
  }
  return out;
}

/** The one sentence for a step a stopped Waymark left running here: every notice and prompt starts with it. */
export function stillRunsText(o: LeftRunning): string {
  return `"${o.title}" still runs (process group ${o.pid}, left by a stopped Waymark)`;
}
