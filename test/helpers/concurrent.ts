/** Starts `count` tasks, at most `limit` at once (processes started together), and waits for them all. */
export async function atMostAtOnce<T>(count: number, limit: number, start: (i: number) => Promise<T>): Promise<T[]> {
  const all: Array<Promise<T>> = [];
  const running = new Set<Promise<unknown>>();
  for (let i = 0; i < count; i++) {
    while (running.size >= limit) await Promise.race(running);
    const p = start(i);
    running.add(p);
    void p.finally(() => running.delete(p));
    all.push(p);
  }
  return Promise.all(all);
}
