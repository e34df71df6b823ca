import { describe, it, expect } from 'vitest';
import { progressEvery } from '../../src/checks/progress.js';

describe('progress of a long check', () => {
  it('speaks at most every interval, with the count and the rate since the start', () => {
    let t = 0;
    const said: string[] = [];
    const tell = progressEvery(
      (s) => said.push(s),
      2000,
      () => t,
    );
    for (const [at, n] of [
      [500, 1000],
      [1999, 4000],
      [2000, 5000],
      [3000, 8000],
      [4100, 12_000],
    ]) {
      t = at;
      tell(n, (count, rate) => `${count} rows (${rate}/s)`);
    }
    expect(said).toEqual(['5,000 rows (2,500/s)', '12,000 rows (2,927/s)']);
  });
});
