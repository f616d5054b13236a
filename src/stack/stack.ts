import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from '../errors.js';
import { ensureApicurio, ensureKafka } from './artifacts.js';
import { startKafka, waitForKafka, type StartedServer } from './kafka-server.js';
import { externalClusterFrom, resolveStackOptions, type StackOptions } from './options.js';
import { isAlive, isOurProcess, isPortFree, stopProcess } from './processes.js';
import { CCOMPAT_PATH, setGlobalCompatibility, startRegistry, waitForRegistry } from './registry-server.js';
import { findToolchain } from './toolchain.js';

/** Where clients should connect: the two values every avrokit command and test reads. */
export interface ClusterEndpoints {
  readonly brokers: string[];
  readonly registryUrl: string;
}

interface ServerState {
  readonly pid: number;
  readonly version: string;
  readonly logFile: string;
}

interface StackState extends ClusterEndpoints {
  readonly format: 1;
  readonly startedAt: string;
  readonly marker: string;
  readonly kafka: ServerState;
  readonly registry: ServerState;
}

export type StackStatus =
  | { readonly state: 'external'; readonly endpoints: ClusterEndpoints }
  | { readonly state: 'running'; readonly endpoints: ClusterEndpoints; readonly detail: StackState }
  | {
      readonly state: 'degraded';
      readonly endpoints: ClusterEndpoints;
      readonly detail: StackState;
      readonly dead: string[];
    }
  | { readonly state: 'stopped' };

export interface UpResult {
  readonly endpoints: ClusterEndpoints;
  /** What `up` did: started servers, found them running, or used `KAFKA_BROKERS`/`SCHEMA_REGISTRY_URL`. */
  readonly outcome: 'started' | 'already-running' | 'external';
  readonly versions?: { kafka: string; registry: string };
}

const stateFile = (o: StackOptions) => join(o.stateDir, 'state.json');
const workDir = (o: StackOptions) => join(o.stateDir, 'run');

function readState(options: StackOptions): StackState | undefined {
  const file = stateFile(options);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as StackState;
    return state.format === 1 ? state : undefined;
  } catch {
    return undefined;
  }
}

/** What the state directory says about the stack `up` started there, whatever the environment says. */
function localStatus(options: StackOptions): Exclude<StackStatus, { state: 'external' }> {
  const detail = readState(options);
  if (!detail) return { state: 'stopped' };
  const dead = (['kafka', 'registry'] as const).filter((s) => !isOurProcess(detail[s].pid, detail.marker));
  const endpoints = { brokers: detail.brokers, registryUrl: detail.registryUrl };
  if (dead.length === 0) return { state: 'running', endpoints, detail };
  if (dead.length === 2) return { state: 'stopped' };
  return { state: 'degraded', endpoints, detail, dead };
}

const sameEndpoints = (a: ClusterEndpoints, b: ClusterEndpoints) =>
  a.registryUrl === b.registryUrl && a.brokers.join(',') === b.brokers.join(',');

/**
 * The environment names another cluster, one that is not the stack running from this state directory.
 * After `eval "$(avrokit stack up)"` the environment names our own stack, which is not external.
 */
function externalCluster(options: StackOptions): ClusterEndpoints | undefined {
  const external = externalClusterFrom();
  if (!external) return undefined;
  const local = localStatus(options);
  return local.state !== 'stopped' && sameEndpoints(local.endpoints, external) ? undefined : external;
}

export function stackStatus(options: StackOptions = resolveStackOptions()): StackStatus {
  const external = externalCluster(options);
  return external ? { state: 'external', endpoints: external } : localStatus(options);
}

/** One `up` or `down` at a time per state directory; a lock left by a dead process is taken over. */
async function withLock<T>(options: StackOptions, body: () => Promise<T>): Promise<T> {
  mkdirSync(options.stateDir, { recursive: true });
  const lock = join(options.stateDir, 'lock');
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(readFileSync(lock, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new StackError(
          'STACK_BUSY',
          `another avrokit stack command (pid ${holder}) is running; try again`,
          {
            retriable: true,
            context: { pid: holder },
          },
        );
      }
      rmSync(lock, { force: true });
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { force: true });
  }
}

async function stopServers(options: StackOptions, state: StackState): Promise<void> {
  await Promise.all([
    stopProcess(state.kafka.pid, state.marker),
    stopProcess(state.registry.pid, state.marker),
  ]);
  rmSync(join(workDir(options), 'kafka-data'), { recursive: true, force: true });
  rmSync(stateFile(options), { force: true });
}

async function ensurePortsFree(options: StackOptions): Promise<void> {
  const wanted: Array<[number, string, string]> = [
    [options.kafkaPort, 'Kafka broker', 'AVROKIT_KAFKA_PORT'],
    [options.controllerPort, 'Kafka controller', 'AVROKIT_KAFKA_CONTROLLER_PORT'],
    [options.registryPort, 'schema registry', 'AVROKIT_REGISTRY_PORT'],
  ];
  for (const [port, role, variable] of wanted) {
    if (!(await isPortFree(options.host, port))) {
      throw new StackError(
        'STACK_PORT_IN_USE',
        `port ${port} on ${options.host} (for the ${role}) is already in use; stop what holds it or set ${variable}`,
        { context: { port, host: options.host } },
      );
    }
  }
}

export async function stackUp(options: StackOptions = resolveStackOptions()): Promise<UpResult> {
  const external = externalCluster(options);
  if (external) return { endpoints: external, outcome: 'external' };

  return withLock(options, async () => {
    const status = localStatus(options);
    if (status.state === 'running') {
      const { detail } = status;
      return {
        endpoints: status.endpoints,
        outcome: 'already-running',
        versions: { kafka: detail.kafka.version, registry: detail.registry.version },
      };
    }
    // A half-dead stack (one server crashed) is replaced whole rather than patched.
    const stale = readState(options);
    if (stale) await stopServers(options, stale);

    const { java, mvn } = findToolchain();
    await ensurePortsFree(options);
    const kafkaDist = ensureKafka(options, mvn);
    const apicurioDist = ensureApicurio(options, mvn);

    const dir = workDir(options);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const marker = `-Davrokit.stack=${options.stateDir}`;
    const endpoints: ClusterEndpoints = {
      brokers: [`${options.host}:${options.kafkaPort}`],
      registryUrl: `http://${options.host}:${options.registryPort}${CCOMPAT_PATH}`,
    };

    // The registry is the slower starter, so it goes first; state is written as soon as each pid exists so
    // that `down` can clean up even if this process dies half-way.
    const servers: { kafka?: StartedServer; registry?: StartedServer } = {};
    const record = () =>
      writeFileSync(
        stateFile(options),
        JSON.stringify(
          {
            format: 1,
            startedAt: new Date().toISOString(),
            marker,
            ...endpoints,
            kafka: {
              pid: servers.kafka?.pid ?? 0,
              version: kafkaDist.version,
              logFile: servers.kafka?.logFile ?? '',
            },
            registry: {
              pid: servers.registry?.pid ?? 0,
              version: apicurioDist.version,
              logFile: servers.registry?.logFile ?? '',
            },
          } satisfies StackState,
          null,
          2,
        ),
      );
    try {
      servers.registry = startRegistry(options, apicurioDist, java, dir, marker);
      record();
      servers.kafka = startKafka(options, kafkaDist, java, dir, marker);
      record();
      await Promise.all([
        waitForRegistry(endpoints.registryUrl, servers.registry, options.startTimeoutMs),
        waitForKafka(endpoints.brokers, servers.kafka, options.startTimeoutMs),
      ]);
      await setGlobalCompatibility(endpoints.registryUrl, 'BACKWARD');
    } catch (err) {
      const state = readState(options);
      if (state) await stopServers(options, state);
      throw err;
    }
    return {
      endpoints,
      outcome: 'started',
      versions: { kafka: kafkaDist.version, registry: apicurioDist.version },
    };
  });
}

/**
 * Stops exactly the processes `up` started (by pid and marker) and deletes their data. The state
 * directory knows what `up` started, so KAFKA_BROKERS/SCHEMA_REGISTRY_URL do not matter here: they
 * are what `eval "$(avrokit stack up)"` exports. 'external' means nothing was started here and the
 * environment names a cluster, which is not ours to stop.
 */
export async function stackDown(
  options: StackOptions = resolveStackOptions(),
): Promise<'stopped' | 'not-running' | 'external'> {
  return withLock(options, async () => {
    const state = readState(options);
    if (!state) return externalClusterFrom() ? 'external' : 'not-running';
    await stopServers(options, state);
    return 'stopped';
  });
}

/** Shell lines that point every avrokit command and test at these endpoints: `eval "$(avrokit stack up)"`. */
export function exportLines(endpoints: ClusterEndpoints): string {
  return `export KAFKA_BROKERS=${endpoints.brokers.join(',')}\nexport SCHEMA_REGISTRY_URL=${endpoints.registryUrl}\n`;
}
