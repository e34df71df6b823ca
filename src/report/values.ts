// The values of a run as a report shows them: the inputs given (at the start, or at a step as its
// decision) and the values steps captured; a secret one by who gave it and when, never its value.
import type { RunState } from '../state/run-state.js';

/** An input given, or a value captured: a secret one by who and when, never its value. */
export interface ReportValue {
  kind: 'input' | 'captured';
  name: string;
  value?: string;
  secret?: boolean;
  by?: string;
  at: string;
  /** taken from its default under --yes */
  auto?: boolean;
}

/** The inputs given at a step (or, for undefined, at the start) and the values it captured. */
export function stepValues(state: RunState, key: string | undefined): ReportValue[] | undefined {
  const inputs = Object.entries(state.inputs ?? {})
    .filter(([, g]) => g.step === key)
    .map(([name, g]) => ({ kind: 'input' as const, name, ...g, step: undefined }));
  const captured = Object.entries((key && state.captured?.[key]) || {}).map(([name, c]) => ({
    kind: 'captured' as const,
    name,
    ...c,
  }));
  const all: ReportValue[] = [...inputs, ...captured].map((v) => JSON.parse(JSON.stringify(v)) as ReportValue);
  return all.length ? all : undefined;
}
