import type { ParsedArgs } from '../cli.js';
import { UsageError } from '../runbook/errors.js';
export async function reportCommand(_a: ParsedArgs): Promise<number> {
  throw new UsageError('reports arrive with issue 6 (signed-off phase reports)');
}
export async function verifyCommand(_a: ParsedArgs): Promise<number> {
  throw new UsageError('verify arrives with issue 6 (signed-off phase reports)');
}
