// Validates a check's params against its type, for the loader.
import { checkTypes } from './registry.js';

export interface ParamProblem {
  path: PropertyKey[];
  message: string;
  hint?: string;
}

/** The data entities a check's params name (valid params only). */
export function checkParamRefs(type: string, params: unknown): Array<{ path: PropertyKey[]; entity: string }> {
  const t = checkTypes[type];
  const r = t?.params.safeParse(params ?? {});
  return t?.refs && r?.success ? t.refs(r.data) : [];
}

export function checkParamsProblems(type: string, params: unknown): ParamProblem[] {
  const t = checkTypes[type];
  if (!t)
    return [
      { path: [], message: `unknown check type "${type}"`, hint: `use one of: ${Object.keys(checkTypes).join(', ')}` },
    ];
  const r = t.params.safeParse(params ?? {});
  if (r.success) return [];
  return r.error.issues.map((i) => ({
    path: i.path,
    message:
      i.code === 'unrecognized_keys'
        ? `unknown param ${i.keys.map((k) => `"${k}"`).join(', ')}`
        : `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`,
    hint:
      i.code === 'unrecognized_keys'
        ? `${type} takes: ${Object.keys((t.params as unknown as { shape?: object }).shape ?? {}).join(', ')}`
        : i.code === 'custom'
          ? (i.params as { hint?: string } | undefined)?.hint
          : undefined,
  }));
}
