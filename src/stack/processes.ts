import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from '../errors.js';

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: Error;
}

/** Runs a short command to completion (version probes, `mvn`, `tar`). */
export function run(command: string, args: readonly string[], cwd?: string): CommandResult {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    ...(result.error ? { error: result.error } : {}),
  };
}

/**
 * Starts a long-running server that outlives this process: detached into its own process group with
 * output going to a log file, so `stack up` can exit while the servers keep running.
 */
export function spawnDetached(
  command: string,
  args: readonly string[],
  logFile: string,
  cwd: string,
): number {
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', log, log] });
    if (child.pid === undefined) {
      throw new StackError('STACK_START_FAILED', `could not start ${command}`, { context: { command } });
    }
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

export function isAlive(pid: number): boolean {
  // kill(0) and kill(-n) address process groups, never a single server of ours.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: gone. EPERM: the pid exists but belongs to another user, so it cannot be one of ours.
    return false;
  }
}

/**
 * A pid from a state file may have been recycled by the OS for an unrelated process after a reboot or
 * crash. Every server we start carries a marker on its command line; only a live process that still
 * carries it is ours. Where /proc is unavailable we can only trust that the pid is alive.
 */
export function isOurProcess(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return true;
  try {
    const text = readFileSync(cmdline, 'utf8');
    // nginx rewrites its command line into one title string, so it carries the marker as `[marker]`.
    return text.split('\0').includes(marker) || text.includes(`[${marker}]`);
  } catch {
    return false;
  }
}

/** SIGTERM, a grace period for a clean shutdown, then SIGKILL. Resolves once the process is gone. */
export async function stopProcess(pid: number, marker: string, graceMs = 15_000): Promise<void> {
  if (!isOurProcess(pid, marker)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  while (isAlive(pid)) await sleep(50);
}

export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The last lines of a server's log, so a failed start says why without sending the user digging. */
export function tailOf(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}
