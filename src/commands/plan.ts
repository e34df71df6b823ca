import type { ParsedArgs } from '../cli.js';
import { UsageError } from '../runbook/errors.js';
export async function planCommand(_a: ParsedArgs): Promise<number> {
  throw new UsageError('plan arrives with issue 8 (operator safety)');
}
export async function rollbackCommand(_a: ParsedArgs): Promise<number> {
  throw new UsageError('rollback --plan arrives with issue 8 (operator safety)');
}
