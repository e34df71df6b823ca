// A witness outside the run: chain heads (an audit line's number and the sha256 of the line)
// that somebody else holds. A trusted key cannot stop its own holder from rewriting the log and
// signing it again; a head kept in the team's chat, a webhook receiver or another copy of the
// log can: every line of the log up to a head is fixed by it (each line carries the hash of the
// one before), so a log that no longer holds a witnessed head was rewritten at or before it.
import { GENESIS, lineHash } from './audit.js';

export interface WitnessedHead {
  seq: number;
  hash: string;
  /** where it was read: "FILE:LINE" */
  source: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
/** A head as a chat message carries it: "audit head 14 sha256:3f9a…" (the text of every notification). */
const TEXT_HEAD = /\bhead:?\s+(\d+)\s+(?:sha256:)?([0-9a-f]{64})\b/gi;
const TEXT_RUN = /\brun:?\s+([0-9a-f][0-9a-f-]{7,35})\b/i;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Heads inside a JSON value: any object with a line number and a 64-hex hash, at any depth. */
function headsIn(v: unknown, out: Array<{ seq: number; hash: string }>, depth = 0): void {
  if (depth > 16) return;
  if (Array.isArray(v)) return v.forEach((x) => headsIn(x, out, depth + 1));
  if (!isRecord(v)) {
    if (typeof v === 'string') for (const m of v.matchAll(TEXT_HEAD)) out.push({ seq: +m[1], hash: m[2] });
    return;
  }
  const hash = v.sha256 ?? v.hash;
  if (Number.isInteger(v.seq) && typeof hash === 'string' && HEX64.test(hash)) out.push({ seq: Number(v.seq), hash });
  for (const [k, x] of Object.entries(v)) if (k !== 'text') headsIn(x, out, depth + 1);
  // a chat message's text holds the same heads as the fields; read it when there are no fields
  if (typeof v.text === 'string' && !out.length) headsIn(v.text, out, depth + 1);
}

/** The run a witnessed line speaks of, when it says (a notification's `run`; a chat line's "run 1a2b…"). */
function runOf(v: unknown, raw: string): string | undefined {
  if (isRecord(v)) {
    if (typeof v.run === 'string') return v.run;
    if (isRecord(v.run) && typeof v.run.id === 'string') return v.run.id;
    return undefined;
  }
  return TEXT_RUN.exec(raw)?.[1];
}

/**
 * Reads a witness file: JSON lines as a webhook receiver stores them, a copy of the audit log
 * (each line is its own head), or text pasted from chat messages. Heads of other runs are
 * left out (counted), when the line says which run it is of.
 */
export function readWitness(text: string, file: string, runId: string): { heads: WitnessedHead[]; otherRuns: number } {
  const heads: WitnessedHead[] = [];
  let otherRuns = 0;
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      v = undefined;
    }
    const found: Array<{ seq: number; hash: string }> = [];
    // a line of an audit log: its own hash is a head, and the hash it carries is the line before
    if (isRecord(v) && Number.isInteger(v.seq) && typeof v.prev === 'string' && typeof v.event === 'string') {
      found.push({ seq: Number(v.seq), hash: lineHash(line) });
      if (Number(v.seq) > 1 && HEX64.test(v.prev) && v.prev !== GENESIS)
        found.push({ seq: Number(v.seq) - 1, hash: v.prev });
    } else if (v !== undefined) headsIn(v, found);
    else for (const m of line.matchAll(TEXT_HEAD)) found.push({ seq: +m[1], hash: m[2].toLowerCase() });
    if (!found.length) return;
    const run = isRecord(v) && typeof v.event === 'string' && 'prev' in v ? undefined : runOf(v, line);
    if (run && !runId.startsWith(run) && run !== runId) {
      otherRuns += found.length;
      return;
    }
    for (const h of found) {
      const key = `${h.seq} ${h.hash}`;
      if (seen.has(key)) continue;
      seen.add(key);
      heads.push({ ...h, source: `${file}:${i + 1}` });
    }
  });
  heads.sort((a, b) => a.seq - b.seq);
  return { heads, otherRuns };
}

export interface WitnessVerdict {
  held: WitnessedHead[];
  /** heads the log no longer holds, or holds with another line: the history was rewritten */
  rewritten: Array<{ head: WitnessedHead; problem: string }>;
  /** the log is the witness's own up to this line (the last head it still holds before the first fork) */
  agreesUpTo: number;
  /** the first witnessed line the log no longer holds: the history forks after agreesUpTo, at or before it */
  firstDiffering?: number;
}

/** Checks witnessed heads against the log's lines. */
export function checkWitness(lines: string[], heads: WitnessedHead[]): WitnessVerdict {
  const held: WitnessedHead[] = [];
  const rewritten: WitnessVerdict['rewritten'] = [];
  for (const h of heads) {
    if (h.seq < 1) continue;
    if (h.seq > lines.length)
      rewritten.push({
        head: h,
        problem: `the witness holds line ${h.seq}, but the log ends at line ${lines.length}: lines were removed`,
      });
    else if (lineHash(lines[h.seq - 1]) !== h.hash)
      rewritten.push({ head: h, problem: `the log's line ${h.seq} is not the line the witness holds` });
    else held.push(h);
  }
  const first = rewritten[0]?.head.seq;
  const agreesUpTo = Math.max(0, ...held.filter((h) => first === undefined || h.seq < first).map((h) => h.seq));
  return { held, rewritten, agreesUpTo, firstDiffering: first };
}

/** Where two copies of one log part: the first line that differs (or that one has and the other lacks). */
export function forkLine(a: string[], b: string[]): number | undefined {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i + 1;
  return undefined;
}
