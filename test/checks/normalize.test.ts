// data.validate's comparison is exact: only notation is forgiven, unless a field declares more.
import { describe, it, expect } from 'vitest';
import { normalize, isoMicros, isoMicrosByDate, isUuid, rowHash, rowText } from '../../src/checks/normalize.js';

describe('normalize: exact by default', () => {
  it.each([
    ['text is not trimmed', normalize(' a@x.io ', 'text'), normalize('a@x.io', 'text'), false],
    ['"" is not NULL', normalize('', 'text'), normalize(null, 'text'), false],
    ['"no" is not false', normalize('no', 'boolean'), normalize(false, 'boolean'), false],
    ['"false" is false (the migration converts it so)', normalize('false', 'boolean'), normalize('f', 'boolean'), true],
    [
      'microseconds count',
      normalize('2024-01-01T10:00:00.123456Z', 'timestamp'),
      normalize('2024-01-01T10:00:00.123Z', 'timestamp'),
      false,
    ],
    [
      'a zone is notation',
      normalize('2024-01-01T12:00:00+02:00', 'timestamp'),
      normalize('2024-01-01T10:00:00Z', 'timestamp'),
      true,
    ],
    [
      'zone-less is UTC, whatever TZ says',
      normalize('2024-01-01 10:00:00', 'timestamp'),
      normalize('2024-01-01T10:00:00.000000Z', 'timestamp'),
      true,
    ],
    ['"now" is not a time', normalize('now', 'timestamp'), normalize(new Date().toISOString(), 'timestamp'), false],
    ['"2" and 2 are one number', normalize('2', 'number'), normalize(2, 'number'), true],
    ['true is not the number 1', normalize(true, 'number'), normalize(1, 'number'), false],
    ['case counts', normalize('Case@Example.com', 'text'), normalize('case@example.com', 'text'), false],
  ])('%s', (_, a, b, equal) => {
    expect(a === b).toBe(equal);
  });
  it('declared normalisations apply, and only those', () => {
    expect(normalize(' x ', 'text', undefined, ['trim'])).toBe('x');
    expect(normalize('', 'date', undefined, ['empty_is_null'])).toBeNull();
    expect(normalize('', 'date')).not.toBeNull();
    expect(normalize('A@X.io', 'text', undefined, ['case_insensitive'])).toBe(normalize('a@x.io', 'text'));
  });
});

describe('isoMicros: the short way for UTC times gives what the date arithmetic gives', () => {
  it('on every field at and past its range, and on random times', () => {
    const cases = [
      '2024-02-29T10:00:00Z',
      '2023-02-29T10:00:00Z', // not a leap year: Date rolls it to 1 March
      '2100-02-29T00:00:00Z',
      '2000-02-29T00:00:00Z',
      '2024-04-31T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-00-10T00:00:00Z',
      '2024-01-00T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T23:60:00Z',
      '2024-01-01T23:59:60Z',
      '0000-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999999Z',
      '2024-01-01T00:00:00.1Z',
      '2024-01-01T00:00:00.1234567Z',
      // read character by character: every position, every length
      '2024-01-01T00:00:00.Z',
      '2024-01-01T00:00:00,1Z',
      '2024-01-01t00:00:00Z',
      '2024-01-01T00:00:00z',
      '2024-01-01 00:00:00Z',
      '2024/01/01T00:00:00Z',
      '2024-01-01T00-00:00Z',
      '2024-0a-01T00:00:00Z',
      '202a-01-01T00:00:00Z',
      '2024-01-01T0 :00:00Z',
      '2024-01-01T00:00:0/Z',
      '2024-01-01T00:00:00.12a4Z',
      '2024-01-01T00:00:00.000000Z',
      '2024-01-01T00:00:00+00:00',
      '2024-01-01T00:00Z',
      '٢٠٢٤-01-01T00:00:00Z',
    ];
    for (let i = 0; i < 2000; i++) {
      const pad = (n: number, w = 2) => String(n).padStart(w, '0');
      const r = (n: number) => Math.floor(Math.random() * n);
      const frac = r(3) ? `.${String(r(1e6)).slice(0, 1 + r(6))}` : '';
      cases.push(`${pad(r(10000), 4)}-${pad(r(14))}-${pad(r(33))}T${pad(r(26))}:${pad(r(62))}:${pad(r(62))}${frac}Z`);
    }
    for (const c of cases) expect([c, isoMicros(c)]).toEqual([c, isoMicrosByDate(c)]);
  });
});

describe('isUuid: what the uuid pattern says, without the regex', () => {
  it('on uuids in both cases, near misses and random strings', () => {
    const re = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    const u = '0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';
    const cases = [
      u,
      u.toUpperCase(),
      u.slice(1),
      u + '0',
      u.replace('-', 'x'),
      u.replace('a', 'g'),
      '',
      '-'.repeat(36),
    ];
    const chars = '0123456789abcdefABCDEFgG-/:@`{ ';
    for (let i = 0; i < 5000; i++) {
      const base = i % 2 ? u : u.toUpperCase();
      const at = Math.floor(Math.random() * 36);
      cases.push(base.slice(0, at) + chars[Math.floor(Math.random() * chars.length)] + base.slice(at + 1));
    }
    for (const c of cases) expect([c, isUuid(c)]).toEqual([c, re.test(c)]);
  });
});

describe('rowText: one text per list of values, as PostgreSQL writes a row of texts', () => {
  it('tells NULL from an empty text, and a separator inside a text from one between texts', () => {
    const lists: Array<Array<string | null>> = [
      [null],
      [''],
      ['""'],
      [null, null],
      ['a,b'],
      ['a', 'b'],
      ['(a)'],
      ['a b'],
      ['"a"', 'b'],
      ['\\'],
      ['\\\\'],
    ];
    const texts = lists.map(rowText);
    expect(new Set(texts).size).toBe(lists.length);
    expect(texts.slice(0, 5)).toEqual(['()', '("")', '("""""")', '(,)', '("a,b")']);
  });
  it('hashes a text with a lone surrogate apart from the text UTF-8 would make of it', () => {
    // encoded, "\ud800" becomes U+FFFD: without care the two would be one row
    expect(rowHash(['a\ud800'])).not.toBe(rowHash(['a\ufffd']));
    expect(rowHash(['a\ud83d\ude00'])).toBe(rowHash(['a😀']));
  });
});
