// A run's state and check results as engine tests build them.
import { STATE_SCHEMA, type RunState } from '../../src/state/run-state.js';
import type { CheckResult } from '../../src/checks/types.js';

export const T0 = new Date('2026-01-01T00:00:00Z');

export const freshState = (): RunState => ({
  schema: STATE_SCHEMA,
  runId: 'r',
  runbookId: 't',
  runbookVersion: '1',
  runbookHash: 'h',
  partHashes: {},
  fingerprint: 'f',
  target: {},
  createdAt: T0.toISOString(),
  updatedAt: T0.toISOString(),
  phases: {},
  steps: {},
  checks: {},
  baselines: {},
  seq: 0,
});

export const passed = (id: string, at = T0): CheckResult => ({
  id,
  type: 'file',
  status: 'pass',
  summary: 'ok',
  metrics: {},
  thresholds: {},
  startedAt: at.toISOString(),
  durationMs: 1,
});
