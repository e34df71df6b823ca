// The one write path for every file Waymark writes: whole or absent. A file is written to
// a temporary name with every byte (a full disk writes fewer bytes than asked, and a short
// write must never be renamed over a good file), flushed, renamed, and its folder flushed.
// An append to the audit log is written whole and flushed before anything that depends on it.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, mkdirSync, ftruncateSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The disk refused a write: a sentence for the operator, and what was kept. */
export class DiskError extends Error {
  override name = 'DiskError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Node's fs calls, replaceable so tests can make the disk misbehave. */
export const fsio = { openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync, ftruncateSync };

export function diskError(e: unknown, file: string): DiskError {
  if (e instanceof DiskError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const folder = dirname(file);
  const kept = 'nothing was lost (what was saved before is intact)';
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new DiskError(`the disk holding ${folder} is full; ${kept}: free space and resume`, code);
  if (code === 'EROFS')
    return new DiskError(`${folder} is on a read-only file system; ${kept}: remount it writable and resume`, code);
  if (code === 'EACCES' || code === 'EPERM')
    return new DiskError(`Waymark may not write in ${folder}; ${kept}: fix its permissions and resume`, code);
  if (code === 'EIO')
    return new DiskError(
      `the disk holding ${folder} failed to write (I/O error); ${kept}: check the disk and resume`,
      code,
    );
  return new DiskError(`could not write ${file} (${code ?? (e as Error).message}); ${kept}`, code);
}

/** Writes every byte of buf at fd, looping on short writes; a write of nothing is a full disk. */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    const n = fsio.writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw Object.assign(new Error('no bytes written'), { code: 'ENOSPC' });
    off += n;
  }
}

export function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = fsio.openSync(folder, 'r');
    fsio.fsyncSync(fd);
  } catch {
    /* some file systems cannot fsync a folder; the rename is still atomic */
  } finally {
    if (fd !== undefined) fsio.closeSync(fd);
  }
}

/**
 * Removes what a save killed mid-way left beside the file (`FILE.tmp-PID`, never renamed over
 * it): the file itself is whole, so these hold nothing that was saved. Only temps of processes
 * that are gone are removed; returns how many.
 */
export function clearStaleTemps(file: string, alive: (pid: number) => boolean): number {
  const dir = dirname(file);
  const prefix = `${basename(file)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let n = 0;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    try {
      fsio.unlinkSync(join(dir, name));
      n++;
    } catch {
      /* another session took it first */
    }
  }
  return n;
}

/** Replaces file with data, whole or not at all. Throws DiskError with a sentence. */
export function writeWhole(file: string, data: string | Buffer, mode = 0o644): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const tmp = `${file}.tmp-${process.pid}`;
  let fd: number | undefined;
  try {
    mkdirSync(dirname(file), { recursive: true });
    fd = fsio.openSync(tmp, 'w', mode);
    writeAll(fd, buf);
    fsio.fsyncSync(fd);
    fsio.closeSync(fd);
    fd = undefined;
    fsio.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) fsio.closeSync(fd);
    try {
      fsio.unlinkSync(tmp);
    } catch {
      /* never created */
    }
    throw diskError(e, file);
  }
  syncFolder(dirname(file));
}

/**
 * Appends one line, whole, and flushes it. If the disk takes only part of it, the part is cut
 * off again, so the file never ends in half a line of ours.
 */
export function appendWhole(file: string, line: string, size: number): void {
  const buf = Buffer.from(line);
  let fd: number | undefined;
  try {
    fd = fsio.openSync(file, 'a');
    writeAll(fd, buf);
    fsio.fsyncSync(fd);
  } catch (e) {
    if (fd !== undefined) {
      try {
        // back to the length it had: a torn line would break the chain for every later one
        fsio.ftruncateSync(fd, size);
      } catch {
        /* the torn line is found and set aside when the log is next opened */
      }
    }
    throw diskError(e, file);
  } finally {
    if (fd !== undefined) fsio.closeSync(fd);
  }
}
