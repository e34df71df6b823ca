// The migration's conversions take a short way for the usual notations; it must give exactly
// what the long way (through Date) gives, and reject exactly what it rejects.
import { describe, it, expect } from 'vitest';
// @ts-expect-error -- plain JS of the demo app
import { convert } from '../../examples/fluxstudio/database/conversions.js';

const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
/** the long way, as conversions.js had it before the short way */
function longTimestamp(v: string): string | 'rejected' {
  const m = ISO.exec(v);
  if (!m) return 'rejected';
  const [, day, hh = '00', mm = '00', ss = '00', frac = '', zone = 'Z'] = m;
  const z = zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${day}T${hh}:${mm}:${ss}${z}`);
  if (Number.isNaN(ms) || new Date(Date.parse(`${day}T00:00:00Z`)).toISOString().slice(0, 10) !== day)
    return 'rejected';
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac.padEnd(6, '0')}Z`;
}
function longDate(v: string): string | 'rejected' {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return 'rejected';
  const bad = Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v;
  return bad ? 'rejected' : v;
}
const attempt = (f: (v: string) => string | null, v: string) => {
  try {
    return f(v);
  } catch {
    return 'rejected';
  }
};

describe('conversions: the short way equals the long way', () => {
  it('for times and dates at and past every field range, and random ones', () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const r = (n: number) => Math.floor(Math.random() * n);
    const days = ['2024-02-29', '2023-02-29', '1900-02-29', '2000-02-29', '2024-04-31', '2024-13-01', '0000-01-01'];
    for (let i = 0; i < 3000; i++) days.push(`${pad(r(10000), 4)}-${pad(r(14))}-${pad(r(33))}`);
    for (const d of days) {
      expect([d, attempt(convert.date, d)]).toEqual([d, longDate(d)]);
      for (const t of ['T00:00:00Z', 'T23:59:59.999999Z', 'T24:00:00Z', 'T12:60:00Z', 'T12:00:60Z', 'T10:00:00.1Z']) {
        const v = d + t;
        expect([v, attempt(convert.timestamp, v)]).toEqual([v, longTimestamp(v)]);
      }
      const rnd = `${d}T${pad(r(26))}:${pad(r(62))}:${pad(r(62))}${r(2) ? `.${pad(r(1000), 3)}` : ''}Z`;
      expect([rnd, attempt(convert.timestamp, rnd)]).toEqual([rnd, longTimestamp(rnd)]);
    }
  });
});
