import { hostname } from 'node:os';

/**
 * The name this machine goes by in a run's record (locks, steps, the audit log): WAYMARK_HOST,
 * else the system's host name. Containers get a random host name at each start; a team names
 * its machines so that "may still be running on host-a" means something.
 */
/** This process as a holder of a run: who, on which machine, which pid. */
export function thisProcess(operator: string): { operator: string; host: string; pid: number } {
  return { operator, host: hostName(), pid: process.pid };
}

export function hostName(env: NodeJS.ProcessEnv = process.env): string {
  return env.WAYMARK_HOST?.trim() || hostname();
}
