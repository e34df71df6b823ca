// data.validate's comparison is exact: only notation is forgiven, unless a field declares more.
import { describe, it, expect } from 'vitest';
import { normalize } from '../../src/checks/normalize.js';

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
