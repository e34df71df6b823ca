// Validates a check's params against its type, for the loader.
import { checkTypes } from './registry.js';

export interface ParamProblem {
  path: PropertyKey[];
  message: string;
  hint?: string;
}

export function checkParamsProblems(type: string, params: unknown): ParamProblem[] {
  const t = checkTypes[type];
  if (!t) return [{ path: [], message: `unknown check type "${type}"`, hint: `use one of: ${Object.keys(checkTypes).join(', ')}` }];
  const r = t.params.safeParse(params ?? {});
  if (r.success) return [];
  return r.error.issues.map((i) => ({
    path: i.path as PropertyKey[],
    message: i.code === 'unrecognized_keys' ? `unknown param ${i.keys.map((k) => `"${k}"`).join(', ')}` : `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`,
    hint: i.code === 'unrecognized_keys' ? `${type} takes: ${Object.keys((t.params as unknown as { shape?: object }).shape ?? {}).join(', ')}` : undefined,
  }));
}
