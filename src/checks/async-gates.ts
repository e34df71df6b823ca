// Two small promise tools of the comparison (validate-run.ts): a limit on work at once, and a
// promise settled from outside.

/** At most n at once; acquire() waits for a place and gives the function that frees it. */
export function semaphore(n: number) {
  let free = n;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  const acquire = async (): Promise<() => void> => {
    if (free > 0) free--;
    else await new Promise<void>((r) => waiting.push(r));
    let done = false;
    return () => {
      if (!done) release();
      done = true;
    };
  };
  const gate = async <T>(fn: () => Promise<T>): Promise<T> => {
    const leave = await acquire();
    try {
      return await fn();
    } finally {
      leave();
    }
  };
  return Object.assign(gate, { acquire });
}

/** A promise with its resolve and reject, to settle it from elsewhere. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}
