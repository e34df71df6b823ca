// Runs one command for a step or a check. The child gets its own process group so
// cancelling (timeout, Ctrl-C, the operator) kills the whole tree, not just the shell.
import { createInterface } from 'node:readline';

export interface OutputLine {
  at: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ProcessRequest {
  argv: string[] | string;
  shell?: boolean;
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  onLine?: (line: OutputLine) => void;
  onStart?: (pid: number | undefined) => void;
  /** start and return at once, leaving the process running (servers) */
  background?: boolean;
}

export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  pid?: number;
  error?: string;
}

const live = new Set<number>();
let exitHookInstalled = false;

/** Kills every process group we started; used on Ctrl-C and exit. */
export function killAllChildren(sig: NodeJS.Signals = 'SIGTERM'): number {
  let n = 0;
  for (const pid of live) {
    try {
      process.kill(-pid, sig);
      n++;
    } catch {
      live.delete(pid);
    }
  }
  return n;
}

export function runningChildren(): number {
  return live.size;
}

export async function runProcess(req: ProcessRequest): Promise<ProcessResult> {
  const { execa } = await import('execa');
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => killAllChildren('SIGKILL'));
  }
  const started = Date.now();
  const [file, ...args] = typeof req.argv === 'string' ? [req.argv] : req.argv;
  const child = execa(file, args, {
    shell: req.shell ? '/bin/sh' : false,
    cwd: req.cwd,
    env: { ...req.env },
    extendEnv: true,
    detached: true,
    cleanup: false,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    stdout: req.background ? 'ignore' : 'pipe',
    stderr: req.background ? 'ignore' : 'pipe',
  });
  const pid = child.pid;
  req.onStart?.(pid);
  if (req.background) {
    child.unref();
    child.catch(() => {});
    return { exitCode: null, signal: null, timedOut: false, cancelled: false, durationMs: Date.now() - started, pid };
  }
  if (pid) live.add(pid);
  let timedOut = false;
  let cancelled = false;
  const killTree = () => killGroup(pid);
  const timer = req.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        killTree();
      }, req.timeoutMs)
    : undefined;
  const onAbort = () => {
    cancelled = true;
    killTree();
  };
  if (req.signal?.aborted) onAbort();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const pump = (stream: NodeJS.ReadableStream | null | undefined, name: 'stdout' | 'stderr') =>
    new Promise<void>((resolve) => {
      if (!stream) return resolve();
      const rl = createInterface({ input: stream, crlfDelay: Infinity });
      rl.on('line', (text) => req.onLine?.({ at: new Date().toISOString(), stream: name, text }));
      rl.on('close', resolve);
    });
  const pumps = Promise.all([pump(child.stdout, 'stdout'), pump(child.stderr, 'stderr')]);
  const r = await child;
  await pumps;
  if (timer) clearTimeout(timer);
  req.signal?.removeEventListener('abort', onAbort);
  if (pid) live.delete(pid);
  const failedToStart = r.failed && r.exitCode === undefined && !r.signal;
  return {
    exitCode: r.exitCode ?? null,
    signal: r.signal ?? null,
    timedOut,
    cancelled,
    durationMs: Date.now() - started,
    pid,
    error: failedToStart ? firstLine(r.message ?? 'failed to start') : undefined,
  };
}

/** The whole process group: asked to stop, then killed 2 s later if it has not. */
function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 2000).unref();
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim()) ?? s;
}
