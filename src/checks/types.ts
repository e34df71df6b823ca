// The one interface every check type implements. Check files must not import
// pg or execa at module level: the loader and the TUI's first frame import them.
import type { z } from 'zod';
import type { Connection, Entity } from '../runbook/schema.js';
import type { Redactor } from '../runbook/redact.js';
import type { ConnectionManager } from './pg.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'error';
export type Metric = number | string | boolean | null;

export interface Evidence {
  columns: string[];
  rows: Array<Array<string | number | boolean | null>>;
  /** rows left out to keep the evidence short */
  omitted?: number;
}

export interface CheckResult {
  id: string;
  type: string;
  title?: string;
  status: CheckStatus;
  summary: string;
  metrics: Record<string, Metric>;
  thresholds: Record<string, string>;
  evidence?: Evidence[] | undefined;
  hint?: string;
  /** files a check wrote in full (every discrepancy), with their digest: the record names them */
  artifacts?: Array<{ name: string; file: string; sha256: string; lines: number }>;
  startedAt: string;
  durationMs: number;
}

export interface CheckContext {
  connections: ConnectionManager;
  connectionDefs: Record<string, Connection>;
  /** the connection named by the check, or the only/first one */
  connection?: string;
  data: Record<string, Entity>;
  baseDir: string;
  signal: AbortSignal;
  timeoutMs: number;
  redactor: Redactor;
  /** metrics recorded earlier in the run, by check id */
  baselines: Record<string, Record<string, Metric>>;
  /** where a check writes files of its own (the run's folder); none: a temporary folder */
  artifactsDir?: string;
  /** a long check says how far it is ("users: 120,000 of 200,000 rows compared, 95,000/s") */
  progress?: (text: string) => void;
}

export type CheckOutcome = Omit<CheckResult, 'id' | 'type' | 'title' | 'startedAt' | 'durationMs' | 'thresholds'> & {
  thresholds?: Record<string, string>;
};

export interface CheckType<P extends z.ZodType = z.ZodType> {
  type: string;
  description: string;
  params: P;
  /** default timeout when the runbook gives none */
  defaultTimeoutMs?: number;
  /** the data entities its params name, for the loader to check they exist before anything runs */
  refs?(params: z.output<P>): Array<{ path: PropertyKey[]; entity: string }>;
  run(params: z.output<P>, ctx: CheckContext): Promise<CheckOutcome>;
}

export function defineCheck<P extends z.ZodType>(c: CheckType<P>): CheckType<P> {
  return c;
}
