// What the audit log keeps of an engine event: its facts, not output streams or evidence rows.
import type { CheckResult } from '../checks/types.js';
import type { EngineEvent } from './events.js';

/** A check result without its evidence rows: enough to replay it into a state. */
function briefCheck(c: CheckResult): CheckResult {
  const { evidence: _, ...rest } = c;
  return rest;
}

/** Facts found as a session opens are logged under their own name, without the event's type. */
const FACTS = new Set<EngineEvent['type']>(['clock.offset-changed', 'run.target-moved', 'runbook.drift']);

export function auditPayload(event: EngineEvent): unknown {
  if (event.type === 'step.finished') {
    const { outputTail, check, ...rest } = event;
    return { ...rest, outputLines: outputTail?.length, check: check ? briefCheck(check) : undefined };
  }
  if (event.type === 'check.result') return briefCheck(event.result);
  if (FACTS.has(event.type)) {
    const { type: _, ...facts } = event;
    return facts;
  }
  return event;
}
