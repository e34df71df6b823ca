import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';

/** --operator, else WAYMARK_OPERATOR, else git's user.name, else the OS user. */
export function operatorName(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag?.trim()) return flag.trim();
  if (env.WAYMARK_OPERATOR?.trim()) return env.WAYMARK_OPERATOR.trim();
  try {
    const git = execFileSync('git', ['config', 'user.name'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
    if (git) return git;
  } catch {
    /* no git or no name */
  }
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
