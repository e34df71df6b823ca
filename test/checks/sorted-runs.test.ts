import { describe, it, expect } from 'vitest';
import { SortedRuns } from '../../src/checks/sorted-runs.js';

describe('SortedRuns (external sort of key/hash pairs)', () => {
  it('sorts across spilled chunks, keeping duplicates and odd keys intact', async () => {
    const runs = new SortedRuns(7);
    const keys = Array.from({ length: 100 }, (_, i) => `k${String((i * 37) % 100).padStart(3, '0')}`);
    keys.push('tab\there', 'new\nline', 'k050');
    for (const k of keys) await runs.add(k, `h-${k}`);
    const out: string[] = [];
    for await (const [k, h] of runs.sorted()) {
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
    for await (const [k] of runs.sorted()) out.push(k);
    expect(out).toEqual(['a', 'b', 'c']);
  });
});
