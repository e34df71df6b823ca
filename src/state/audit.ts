// Append-only audit log: JSON lines, each carrying the sha256 of the line before,
// so removing, reordering or editing any line breaks the chain at that line.
import { appendFileSync, existsSync, mkdirSync, openSync, closeSync, fsyncSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createHash } from 'node:crypto';
import type { Redactor } from '../runbook/redact.js';

export const GENESIS = '0'.repeat(64);

export interface AuditEntry {
  seq: number;
  at: string;
  operator: string;
  host: string;
  event: string;
  data?: unknown;
  prev: string;
  /** a rehearsal's moved time; `at` is always the real time */
  clock?: string;
}

export function lineHash(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

export class AuditLog {
  private prev = GENESIS;
  private seq = 0;
  /** the real time of the last entry */
  lastAt?: string;
  constructor(readonly file: string, private readonly redactor: Redactor) {
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) {
      const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length);
      const last = lines[lines.length - 1];
      if (last) {
        this.prev = lineHash(last);
        try {
          const e = JSON.parse(last) as AuditEntry;
          this.seq = e.seq;
          this.lastAt = e.at;
        } catch {
          this.seq = lines.length;
        }
      }
    }
  }

  /** The chain head: the last entry's number and the sha256 of its line. */
  get head(): { seq: number; hash: string } {
    return { seq: this.seq, hash: this.prev };
  }

  append(event: string, operator: string, host: string, data?: unknown, at = new Date(), clock?: Date): AuditEntry {
    const entry: AuditEntry = {
      seq: this.seq + 1,
      at: at.toISOString(),
      clock: clock?.toISOString(),
      operator,
      host,
      event,
      data: data === undefined ? undefined : this.redactor.redactDeep(data),
      prev: this.prev,
    };
    const line = JSON.stringify(entry);
    // One write per line, then fsync: a crash loses at most the line being written.
    const fd = openSync(this.file, 'a');
    try {
      appendFileSync(fd, line + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.prev = lineHash(line);
    this.seq = entry.seq;
    this.lastAt = entry.at;
    return entry;
  }
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  /** 1-based line number of the first bad line */
  badLine?: number;
  problem?: string;
}

export function verifyAudit(file: string): VerifyResult {
  if (!existsSync(file)) return { ok: false, entries: 0, badLine: 0, problem: `no audit log at ${file}` };
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else if (lines.length) return { ok: false, entries: lines.length, badLine: lines.length, problem: 'the last line is incomplete (no newline)' };
  let prev = GENESIS;
  for (let i = 0; i < lines.length; i++) {
    let e: AuditEntry;
    try {
      e = JSON.parse(lines[i]) as AuditEntry;
    } catch {
      return { ok: false, entries: lines.length, badLine: i + 1, problem: 'not valid JSON' };
    }
    if (e.prev !== prev) return { ok: false, entries: lines.length, badLine: i + 1, problem: "its prev hash does not match the line before (a line was changed, removed or inserted)" };
    if (e.seq !== i + 1) return { ok: false, entries: lines.length, badLine: i + 1, problem: `sequence number ${e.seq}, expected ${i + 1}` };
    prev = lineHash(lines[i]);
  }
  return { ok: true, entries: lines.length };
}

export function readAudit(file: string): AuditEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l) as AuditEntry;
      } catch {
        return { seq: -1, at: '', operator: '', host: '', event: 'unreadable line', prev: '' };
      }
    });
}
