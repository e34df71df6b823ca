import { describe, it, expect } from 'vitest';
import { Redactor } from '../../src/runbook/redact.js';

describe('Redactor', () => {
  const r = new Redactor(['hunter2-long', 'p@ss word']);
  it('masks secret values, also URL-encoded', () => {
    expect(r.redact('pw=hunter2-long!')).toBe('pw=***!');
    expect(r.redact('postgres://u:p%40ss%20word@h/db')).toBe('postgres://u:***@h/db');
  });
  it('masks passwords in connection strings even when not declared secret', () => {
    expect(new Redactor().redact('connect postgresql://admin:Sup3r@db.example:5432/x')).toBe(
      'connect postgresql://admin:***@db.example:5432/x',
    );
  });
  it('masks PASSWORD=value pairs', () => {
    expect(new Redactor().redact('DB_PASSWORD=abc123 PGPASSWORD="x y"')).toBe('DB_PASSWORD=*** PGPASSWORD=***');
  });
  it('masks "password":"value" in JSON, keeping it JSON', () => {
    expect(new Redactor().redact('{"email":"test@example.com","password":"test123","name":"T"}')).toBe(
      '{"email":"test@example.com","password":"***","name":"T"}',
    );
    expect(new Redactor().redact('{"password": 12345}')).toBe('{"password": ***}');
  });
  it('redacts deeply', () => {
    expect(r.redactDeep({ a: ['hunter2-long'], b: { c: 'x hunter2-long' }, n: 3 })).toEqual({
      a: ['***'],
      b: { c: 'x ***' },
      n: 3,
    });
  });
  it('leaves ordinary text alone', () => {
    expect(new Redactor(['ab']).redact('abc passwords are discussed')).toBe('abc passwords are discussed');
  });
});
