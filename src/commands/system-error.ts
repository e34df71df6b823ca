// An error from the file system or the OS, said as a sentence: what could not be done, to
// which path, and what to do. Never the raw code (ENOTDIR, EACCES) or a stack trace.
import { statSync } from 'node:fs';

const WHAT: Record<string, string> = {
  mkdir: 'create the folder',
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'replace',
  unlink: 'remove',
  scandir: 'list the folder',
  stat: 'look at',
  access: 'use',
  copyfile: 'copy',
  symlink: 'link',
  chmod: 'change',
};

/** The first existing-but-not-a-folder part of a path is what stands in the way of ENOTDIR. */
function blocker(path: string): string {
  const parts = path.split('/');
  for (let i = 2; i <= parts.length; i++) {
    const p = parts.slice(0, i).join('/') || '/';
    try {
      if (!statSync(p).isDirectory()) return p;
    } catch {
      return path;
    }
  }
  return path;
}

export interface SystemProblem {
  message: string;
  hint: string;
  /** 2: the input or the environment given is wrong; 1: the machine failed (disk full, I/O) */
  exitCode: 1 | 2;
}

export function describeSystemError(e: unknown): SystemProblem | undefined {
  const err = e as NodeJS.ErrnoException & { dest?: string };
  if (!err || typeof err.code !== 'string' || !/^E[A-Z0-9]+$/.test(err.code)) return undefined;
  const path = err.path ?? err.dest;
  if (!path) return undefined;
  const verb = WHAT[err.syscall ?? ''] ?? 'use';
  switch (err.code) {
    case 'ENOTDIR':
      return {
        message: `cannot ${verb} ${path}: ${blocker(path)} is a file, not a folder`,
        hint: 'give a folder (e.g. --state-dir DIR), or move that file away',
        exitCode: 2,
      };
    case 'EACCES':
    case 'EPERM':
      return {
        message: `cannot ${verb} ${path}: permission denied`,
        hint: 'use a folder you may write to (--state-dir DIR), or ask its owner for access',
        exitCode: 2,
      };
    case 'ENOENT':
      return { message: `cannot ${verb} ${path}: it does not exist`, hint: 'check the path', exitCode: 2 };
    case 'EISDIR':
      return {
        message: `cannot ${verb} ${path}: it is a folder, not a file`,
        hint: 'give the path of a file',
        exitCode: 2,
      };
    case 'EROFS':
      return {
        message: `cannot ${verb} ${path}: the file system is read-only`,
        hint: 'use a writable folder (--state-dir DIR)',
        exitCode: 2,
      };
    case 'ENOSPC':
    case 'EDQUOT':
      return {
        message: `cannot ${verb} ${path}: the disk is full`,
        hint: 'free some space and run the command again; nothing recorded was lost',
        exitCode: 1,
      };
    case 'ELOOP':
      return {
        message: `cannot ${verb} ${path}: too many symbolic links`,
        hint: 'check for a link that points to itself',
        exitCode: 2,
      };
    case 'ENAMETOOLONG':
      return { message: `cannot ${verb} ${path}: the path is too long`, hint: 'use a shorter path', exitCode: 2 };
    default:
      return {
        message: `cannot ${verb} ${path}: ${err.message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}`,
        hint: 'check the path and the disk',
        exitCode: 1,
      };
  }
}
