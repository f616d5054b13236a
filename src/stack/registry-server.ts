import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from '../errors.js';
import type { ApicurioDistribution } from './artifacts.js';
import type { StartedServer } from './kafka-server.js';
import type { StackOptions } from './options.js';
import { isAlive, spawnDetached, tailOf } from './processes.js';

/** Apicurio serves the Confluent Schema Registry API under this path. */
export const CCOMPAT_PATH = '/apis/ccompat/v7';

export function startRegistry(
  options: StackOptions,
  dist: ApicurioDistribution,
  java: string,
  workDir: string,
  marker: string,
): StartedServer {
  const logFile = join(workDir, 'registry.log');
  const args = [
    marker,
    `-Xmx${options.heap}`,
    `-Dquarkus.http.host=${options.host}`,
    `-Dquarkus.http.port=${options.registryPort}`,
    // Confluent's registry enforces BACKWARD by default; Apicurio enforces nothing unless told to.
    '-Dapicurio.rules.global.compatibility=BACKWARD',
    ...dist.launch,
  ];
  const pid = spawnDetached(java, args, logFile, dist.dir);
  return { pid, logFile };
}

/** Ready means the Confluent-compatible API answers `GET /subjects`. */
export async function waitForRegistry(url: string, server: StartedServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (!isAlive(server.pid)) {
      throw new StackError(
        'STACK_START_FAILED',
        `the schema registry exited during start-up:\n${tailOf(server.logFile)}`,
      );
    }
    try {
      const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
      lastError = `HTTP ${response.status}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(250);
  }
  throw new StackError(
    'STACK_START_FAILED',
    `the schema registry did not answer GET ${url}/subjects within ${timeoutMs / 1000}s (${lastError})`,
    { retriable: true },
  );
}

/**
 * Apicurio applies the configured default rule, yet its ccompat `GET /config` reports NONE until a
 * global level has been stored. Storing it makes what clients read agree with what is enforced.
 */
export async function setGlobalCompatibility(url: string, level: string): Promise<void> {
  const response = await fetch(`${url}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: level }),
  });
  if (!response.ok) {
    throw new StackError(
      'STACK_START_FAILED',
      `the schema registry refused PUT ${url}/config (HTTP ${response.status}): ${await response.text()}`,
    );
  }
}
