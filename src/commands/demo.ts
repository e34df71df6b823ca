import type { ParsedArgs } from '../cli.js';
import { UsageError } from '../runbook/errors.js';
export async function demoCommand(_a: ParsedArgs): Promise<number> {
  throw new UsageError('demo arrives with issue 7 (the demo target)');
}
