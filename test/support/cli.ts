import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built `avrokit` bin, as the published package installs it (`npm test` builds it first). */
export const builtCli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Standard input. */
  readonly input?: string;
}

/** Runs the built avrokit CLI in a child process, as a user's shell would. */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  options: Omit<CliOptions, 'env'> = {},
): CliResult {
  if (!existsSync(builtCli)) {
    throw new Error(`${builtCli} is missing: run npm run build (npm test builds it before the tests)`);
  }
  const result = spawnSync(process.execPath, [builtCli, ...args], {
    env,
    encoding: 'utf8',
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.input !== undefined ? { input: options.input } : {}),
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the built CLI on a pseudo-terminal (util-linux `script`), as a user at a terminal sees it:
 * standard output and error arrive together, escape codes included.
 */
export function runCliOnTerminal(args: readonly string[], env: NodeJS.ProcessEnv = process.env): CliResult {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, builtCli, ...args].map(quote).join(' ');
  const result = spawnSync('script', ['-qefc', command, '/dev/null'], { env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * {@link runCli} without blocking this process: for tests whose own children (servers it started) must
 * be reaped while the CLI runs.
 */
export function runCliAsync(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [builtCli, ...args], { env, encoding: 'utf8' }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}
