// How far a long check is, said at most every few seconds: an operator watching a
// 30-second validation at 2 a.m. must see it move, not guess whether it hangs.

export const fmtCount = (n: number) => n.toLocaleString('en-US');

/** Says how far a long pass is, at most every `everyMs`, with its rate since it began. */
export function progressEvery(
  progress: ((text: string) => void) | undefined,
  everyMs = 2000,
  now: () => number = Date.now,
) {
  const t0 = now();
  let last = t0;
  return (n: number, text: (n: string, rate: string) => string) => {
    if (!progress) return;
    const t = now();
    if (t - last < everyMs) return;
    last = t;
    progress(text(fmtCount(n), fmtCount(Math.round((n * 1000) / Math.max(1, t - t0)))));
  };
}
