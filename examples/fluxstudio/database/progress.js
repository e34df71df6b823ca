// How far a long pass of the migration is, said at most every two seconds with its rate, so
// whoever runs it sees it move. The app's own helper: it depends on nothing of Waymark's.
const fmtCount = (n) => n.toLocaleString('en-US');

/** tell(n, (count, rate) => text): prints at most every `everyMs`, with the rate since it began. */
export function progressEvery(say, everyMs = 2000) {
  const t0 = Date.now();
  let last = t0;
  return (n, text) => {
    const t = Date.now();
    if (t - last < everyMs) return;
    last = t;
    say(text(fmtCount(n), fmtCount(Math.round((n * 1000) / Math.max(1, t - t0)))));
  };
}
