// Append-only audit log: JSON lines, each carrying the sha256 of the line before,
// so removing, reordering or editing any line breaks the chain at that line. It is
// written ahead of the state: an event is in the log (flushed) before the state that
// results from it is saved, and the state names the log's head it includes, so a
// removed or rewritten tail shows too.
import { existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import { createHash } from 'node:crypto';
import type { Redactor } from '../runbook/redact.js';
import { InputError } from '../runbook/errors.js';
import { appendWhole, writeWhole } from './durable.js';

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

export interface AuditHead {
  seq: number;
  hash: string;
}

export function lineHash(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  /** 1-based line number of the first bad line */
  badLine?: number;
  problem?: string;
}

/** Checks the chain of complete lines (a torn last line is reported apart, by `torn`). */
export function verifyLines(lines: string[]): VerifyResult {
  let prev = GENESIS;
  for (let i = 0; i < lines.length; i++) {
    let e: AuditEntry;
    try {
      e = JSON.parse(lines[i]) as AuditEntry;
    } catch {
      return { ok: false, entries: lines.length, badLine: i + 1, problem: 'not valid JSON' };
    }
    if (e.prev !== prev)
      return {
        ok: false,
        entries: lines.length,
        badLine: i + 1,
        problem: 'its prev hash does not match the line before (a line was changed, removed or inserted)',
      };
    if (e.seq !== i + 1)
      return {
        ok: false,
        entries: lines.length,
        badLine: i + 1,
        problem: `sequence number ${e.seq}, expected ${i + 1}`,
      };
    prev = lineHash(lines[i]);
  }
  return { ok: true, entries: lines.length };
}

/** The log's complete lines, and a last line cut short by a crash mid-append, if any. */
export function readLines(file: string): { lines: string[]; torn?: string; size: number } {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const end = text.lastIndexOf('\n') + 1;
  const lines = text
    .slice(0, end)
    .split('\n')
    .filter((l) => l.length);
  return { lines, torn: end < text.length ? text.slice(end) : undefined, size: end };
}

export class AuditLog {
  private prev = GENESIS;
  private seq = 0;
  private size = 0;
  /** the real time of the last entry */
  lastAt?: string;
  /** a last line cut short by a crash mid-append, until it is set aside */
  private torn?: string;
  /** the complete lines the log had when it was opened */
  readonly lines: string[];

  /**
   * Opens the log. A writer refuses a log damaged anywhere but a torn last line (a crash
   * mid-append, set aside by setAsideTorn): nothing is built on a broken chain. A reader only reads.
   */
  constructor(
    readonly file: string,
    private readonly redactor: Redactor,
    writable = true,
  ) {
    const { lines, torn, size } = readLines(file);
    if (writable) {
      mkdirSync(dirname(file), { recursive: true });
      const v = verifyLines(lines);
      if (!v.ok)
        throw new InputError(
          `the audit log ${file} is damaged at line ${v.badLine} (${v.problem}); Waymark will not add to it. ` +
            'See it with `waymark audit --verify`; `waymark repair` rebuilds the state from the lines before it',
        );
      this.torn = torn;
    }
    this.size = size;
    this.lines = lines;
    const last = lines[lines.length - 1];
    if (last) {
      this.prev = lineHash(last);
      const e = JSON.parse(last) as AuditEntry;
      this.seq = e.seq;
      this.lastAt = e.at;
    }
  }

  /** The chain head: the last entry's number and the sha256 of its line. */
  get head(): AuditHead {
    return { seq: this.seq, hash: this.prev };
  }

  /**
   * Moves a last line cut short by a crash mid-append into a file beside the log, so the
   * next line starts whole. Only a writer that has checked the state's head calls this.
   */
  setAsideTorn(): { file: string; bytes: number } | undefined {
    if (this.torn === undefined) return undefined;
    const file = `${this.file}.torn-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    writeWhole(file, this.torn);
    truncateSync(this.file, this.size);
    const out = { file, bytes: Buffer.byteLength(this.torn) };
    this.torn = undefined;
    return out;
  }

  /** The next entry and its line, not yet written: a shared store writes it first (pg-store.ts). */
  prepare(event: string, operator: string, host: string, data?: unknown, at = new Date(), clock?: Date): Prepared {
    // a line glued to a torn one would break the chain for good
    if (this.torn !== undefined)
      throw new Error(`the audit log ${this.file} ends in a torn line that was not set aside`);
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
    return { entry, line, head: { seq: entry.seq, hash: lineHash(line) } };
  }

  /** Writes a prepared entry; it must be the next one. */
  write(p: Prepared): AuditEntry {
    if (p.entry.seq !== this.seq + 1 || p.entry.prev !== this.prev)
      throw new Error(`audit entry ${p.entry.seq} is not the next of ${this.file}`);
    // written whole and flushed, or cut back: a crash loses at most the line being written
    appendWhole(this.file, p.line + '\n', this.size);
    this.size += Buffer.byteLength(p.line) + 1;
    this.prev = p.head.hash;
    this.seq = p.entry.seq;
    this.lastAt = p.entry.at;
    return p.entry;
  }

  append(event: string, operator: string, host: string, data?: unknown, at = new Date(), clock?: Date): AuditEntry {
    return this.write(this.prepare(event, operator, host, data, at, clock));
  }
}

export interface Prepared {
  entry: AuditEntry;
  line: string;
  head: AuditHead;
}

/**
 * Verifies the chain and, given the head the run's state says it includes, that the log still
 * has it: a removed or rewritten tail breaks that, even where the chain itself is whole.
 */
export function verifyAudit(file: string, stateHead?: AuditHead): VerifyResult & { after?: AuditEntry[] } {
  if (!existsSync(file)) return { ok: false, entries: 0, badLine: 0, problem: `no audit log at ${file}` };
  const { lines, torn } = readLines(file);
  const v = verifyLines(lines);
  if (!v.ok) return v;
  if (torn !== undefined)
    return {
      ok: false,
      entries: lines.length,
      badLine: lines.length + 1,
      problem: 'the last line is incomplete (no newline): a crash mid-append',
    };
  if (stateHead && stateHead.seq > 0) {
    if (lines.length < stateHead.seq)
      return {
        ok: false,
        entries: lines.length,
        badLine: lines.length + 1,
        problem:
          `the state includes events up to line ${stateHead.seq}, but the log ends at line ` +
          `${lines.length}: lines were removed from its end`,
      };
    if (lineHash(lines[stateHead.seq - 1]) !== stateHead.hash)
      return {
        ok: false,
        entries: lines.length,
        badLine: stateHead.seq,
        problem: 'this is not the line the state recorded as the last it includes: the log was rewritten',
      };
    // entries after the state's head: notes, or a crash between writing the log and the state
    if (lines.length > stateHead.seq)
      return { ...v, after: lines.slice(stateHead.seq).map((l) => JSON.parse(l) as AuditEntry) };
  }
  return v;
}

export function readAudit(file: string): AuditEntry[] {
  return readLines(file).lines.map((l) => {
    try {
      return JSON.parse(l) as AuditEntry;
    } catch {
      return { seq: -1, at: '', operator: '', host: '', event: 'unreadable line', prev: '' };
    }
  });
}
