// One live session per run. The lock file says who holds it; a lock whose
// process is gone (crash, kill -9) is taken over with a notice.
import { openSync, writeSync, closeSync, readFileSync, readdirSync, unlinkSync, mkdirSync, renameSync } from 'node:fs';
import { hostName } from './host.js';
import { dirname } from 'node:path';

export interface LockInfo {
  operator: string;
  host: string;
  pid: number;
  since: string;
  /** a shared store's holder: how long since its last heartbeat ("40 s ago") */
  lastSeen?: string;
}

export class LockError extends Error {
  constructor(readonly holder: LockInfo) {
    super(
      `this run is open in another session: ${holder.operator} on ${holder.host} (pid ${holder.pid}) since ` +
        `${holder.since}${holder.lastSeen ? `, last seen ${holder.lastSeen}` : ''}`,
    );
    this.name = 'LockError';
  }
}

/** How this process holds the run it writes. */
export interface Hold {
  /** the holder before this one, whose process (or connection) was gone */
  tookOverFrom?: LockInfo;
  /** why that holder counted as gone, in a few words */
  gone?: string;
}

export interface Lock {
  release(): void;
  /** set when a stale lock was taken over */
  tookOverFrom?: LockInfo;
}

/** Whether a process of this host exists (EPERM: it does, but is not ours). A zombie has ended. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return pid < 0 ? groupMembers(-pid) !== 0 : procState(pid) !== 'Z';
}

/**
 * A process's state letter from /proc (R, S, D, Z…), or undefined where there is no /proc. A
 * process that has exited but is not reaped yet (a zombie: its parent reaps late, or never, as a
 * container's PID 1 without an init does) still answers kill(0), but it runs nothing.
 */
export function procState(pid: number, proc = '/proc'): string | undefined {
  try {
    const stat = readFileSync(`${proc}/${pid}/stat`, 'utf8');
    // "pid (comm) S ppid pgrp …": comm may hold spaces and parentheses; the state follows the last ")"
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** How many processes of the group are not zombies; undefined where /proc cannot say. */
export function groupMembers(pgid: number, proc = '/proc'): number | undefined {
  let names: string[];
  try {
    names = readdirSync(proc).filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  let n = 0;
  for (const name of names) {
    let stat: string;
    try {
      stat = readFileSync(`${proc}/${name}/stat`, 'utf8');
    } catch {
      continue; // it ended while we looked
    }
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') n++;
  }
  return n;
}

/** Whether a process group still has a member that is not a zombie (EPERM: it does, but is not ours). */
export function groupAlive(pgid: number): boolean {
  return pidAlive(-pgid);
}

export function alive(info: LockInfo): boolean {
  if (info.host !== hostName()) return true; // cannot tell for another host: assume alive
  return pidAlive(info.pid);
}

export function acquireLock(file: string, operator: string): Lock {
  mkdirSync(dirname(file), { recursive: true });
  const me: LockInfo = { operator, host: hostName(), pid: process.pid, since: new Date().toISOString() };
  let tookOverFrom: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let released = false;
      return {
        tookOverFrom,
        release() {
          if (released) return;
          released = true;
          try {
            const cur = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
            if (cur.pid === me.pid && cur.host === me.host) unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: LockInfo;
      try {
        holder = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
      } catch {
        holder = { operator: 'unknown', host: hostName(), pid: -1, since: '?' };
      }
      if (alive(holder) && holder.pid !== -1) throw new LockError(holder);
      // Stale: move it aside atomically so two starters cannot both take it over.
      try {
        renameSync(file, `${file}.stale-${process.pid}`);
        unlinkSync(`${file}.stale-${process.pid}`);
      } catch {
        /* someone else took it over first; retry */
      }
      tookOverFrom = holder;
    }
  }
  throw new Error(`could not take the lock ${file}`);
}

export function readLock(file: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}
