// Problems found in input the operator wrote. They print as `file:line:col: message`
// and make the CLI exit 2; they are never shown with a stack trace.
export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
  hint?: string;
}

export function formatProblem(p: Problem): string {
  const head = `${p.file}:${p.line}:${p.col}: ${p.message}`;
  return p.hint ? `${head}\n  hint: ${p.hint}` : head;
}

export class InputError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[] | string) {
    const list = typeof problems === 'string' ? [] : problems;
    super(typeof problems === 'string' ? problems : list.map(formatProblem).join('\n'));
    this.problems = list;
    this.name = 'InputError';
  }
}

/** Usage errors: a bad flag, a missing argument. Exit 2 like bad input. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A state database that holds no run of this runbook yet: one is started only when asked for. */
export class NoRunError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'NoRunError';
  }
}
