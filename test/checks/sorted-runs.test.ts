import { describe, it, expect } from 'vitest';

import { SortedRuns, SortBudget, sortOrder } from '../../src/checks/sorted-runs.js';

/** every pair, in the order the sort gives them */
async function* pairs(runs: SortedRuns): AsyncGenerator<[string, string]> {
  for await (const b of runs.batches(5)) for (let i = 0; i < b.keys.length; i++) yield [b.keys[i], b.values[i]];
}

describe('SortedRuns (external sort of key/hash pairs)', () => {
  it('sorts across spilled chunks, keeping duplicates and odd keys intact', async () => {
    const runs = new SortedRuns(7);
    const keys = Array.from({ length: 100 }, (_, i) => `k${String((i * 37) % 100).padStart(3, '0')}`);
    keys.push('tab\there', 'new\nline', 'k050');
    for (const k of keys) await runs.add(k, `h-${k}`);
    const out: string[] = [];
    for await (const [k, h] of pairs(runs)) {
      expect(h).toBe(`h-${k}`);
      out.push(k);
    }
    runs.dispose();
    expect(out).toEqual([...keys].sort());
    expect(runs.count).toBe(103);
  });
  it('works in memory when nothing spills', async () => {
    const runs = new SortedRuns(10);
    for (const k of ['b', 'a', 'c']) await runs.add(k, k);
    const out: string[] = [];
    for await (const [k] of pairs(runs)) out.push(k);
    expect(out).toEqual(['a', 'b', 'c']);
  });
});

describe('sortOrder: keys in the order `<` gives them', () => {
  const check = (keys: string[]) => {
    const order = Array.from(sortOrder(keys), (i) => keys[i]);
    expect(order).toEqual([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  };
  it('uuids (the hex prefix) and anything else (the first two characters), with ties and prefixes', () => {
    const hex = () => Math.floor(Math.random() * 16).toString(16);
    const uuids = Array.from({ length: 5000 }, () => Array.from({ length: 32 }, hex).join(''));
    check([...uuids, uuids[0], uuids[1].slice(0, 8) + '0'.repeat(24)]);
    const odd = ['', 'a', 'a\0', 'a\0b', 'ab', 'b', '\uffff', '😀', 'é', 'A', 'aaaaaaaa', 'aaaaaaaa-', 'zz\n', 'zz'];
    check([...odd, ...odd.map((s) => s + s)]);
    check(
      Array.from({ length: 3000 }, () =>
        String.fromCharCode(...Array.from({ length: 3 }, () => 97 + Math.floor(Math.random() * 3))),
      ),
    );
  });
  it('a shared budget spills the largest sorter, and each still sorts whole', async () => {
    const budget = new SortBudget(50);
    const big = new SortedRuns(budget);
    const small = new SortedRuns(budget);
    for (let i = 0; i < 200; i++) {
      await big.add(`k${(i * 7919) % 200}`, String(i));
      if (i % 10 === 0) await small.add(`s${i}`, 'x');
    }
    const keys = async (r: SortedRuns) => {
      const out: string[] = [];
      for await (const [k] of pairs(r)) out.push(k);
      return out;
    };
    expect(await keys(big)).toEqual(Array.from({ length: 200 }, (_, i) => `k${i}`).sort());
    expect(await keys(small)).toEqual(Array.from({ length: 20 }, (_, i) => `s${i * 10}`).sort());
    expect(budget.held).toBeLessThanOrEqual(50);
    big.dispose();
    small.dispose();
  });
});
