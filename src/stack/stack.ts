import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from '../errors.js';
import { ensureApicurio, ensureKafka } from './artifacts.js';
import {
  kafkaNodes,
  newClusterId,
  launchKafkaNode,
  SASL_MECHANISMS,
  waitForKafka,
  waitForSecureListener,
  type KafkaSecurity,
  type StartedKafkaNode,
  type StartedServer,
} from './kafka-server.js';
import { ensureNginx, MTLS_PATH, startNginx, waitForNginx, type NginxBinary } from './nginx.js';
import { externalClusterFrom, resolveStackOptions, type StackOptions } from './options.js';
import { isAlive, isOurProcess, isPortFree, stopProcess } from './processes.js';
import { CCOMPAT_PATH, setGlobalCompatibility, startRegistry, waitForRegistry } from './registry-server.js';
import {
  ensureSecureMaterial,
  KAFKA_USER,
  readSecret,
  REGISTRY_USER,
  type SecureMaterial,
} from './secure-material.js';
import { findToolchain } from './toolchain.js';

/**
 * The secured side of a `--secure` stack: where to connect, what to trust and who to be. Passwords are
 * named by files (mode 0600 in the state directory), never carried here, so printing this is safe.
 */
export interface SecureEndpoints {
  /** The SASL_SSL listeners. */
  readonly brokers: string[];
  /** The registry through nginx: HTTPS with basic auth. */
  readonly registryUrl: string;
  /** The stack's CA certificate, PEM: what a client trusts for both. */
  readonly caFile: string;
  /** The registry through nginx where a client certificate is required too (mutual TLS). */
  readonly mutualTlsRegistryUrl: string;
  /** A client certificate and key (PEM) the stack's CA signed, for mutual TLS. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** The SASL mechanisms the listener takes: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512. */
  readonly saslMechanisms: readonly string[];
  readonly kafkaUsername: string;
  readonly kafkaPasswordFile: string;
  readonly registryUsername: string;
  readonly registryPasswordFile: string;
}

/** Where clients should connect: the two values every avrokit command and test reads. */
export interface ClusterEndpoints {
  readonly brokers: string[];
  readonly registryUrl: string;
  /** On a stack started with `--secure`: its secured listener and registry. */
  readonly secure?: SecureEndpoints;
}

interface ServerState {
  readonly pid: number;
  readonly version: string;
  readonly logFile: string;
}

/** A Kafka node as `up` started it: enough to stop it, and to start it again on its data. */
export interface KafkaNodeState extends StartedKafkaNode {
  readonly version: string;
}

export interface StackState extends ClusterEndpoints {
  readonly format: 2;
  readonly startedAt: string;
  readonly marker: string;
  readonly kafka: readonly KafkaNodeState[];
  readonly registry: ServerState;
  /** The TLS + basic-auth proxy in front of the registry, on a secured stack. */
  readonly nginx?: ServerState;
}

/** The state file a single-broker stack of an earlier avrokit wrote; `down` and `status` still read it. */
interface StackStateV1 extends ClusterEndpoints {
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
      /** What stopped: `registry`, or `kafka node <id>`. */
      readonly dead: string[];
    }
  | { readonly state: 'stopped' };

export interface UpResult {
  readonly endpoints: ClusterEndpoints;
  /** What `up` did: started servers, found them running, or used `KAFKA_BROKERS`/`SCHEMA_REGISTRY_URL`. */
  readonly outcome: 'started' | 'already-running' | 'external';
  readonly versions?: { kafka: string; registry: string };
  /** Kafka nodes of the stack (undefined for an external cluster). */
  readonly nodes?: number;
}

const stateFile = (o: StackOptions) => join(o.stateDir, 'state.json');
const workDir = (o: StackOptions) => join(o.stateDir, 'run');

function fromV1(state: StackStateV1, options: StackOptions): StackState {
  // Only what stopping needs: a v1 stack cannot be restarted node by node.
  const node: KafkaNodeState = {
    ...state.kafka,
    nodeId: 1,
    port: Number(state.brokers[0]?.split(':').pop()),
    controllerPort: 0,
    dataDir: join(workDir(options), 'kafka-data'),
    command: [],
    cwd: workDir(options),
    outFile: '',
  };
  return { ...state, format: 2, kafka: [node] };
}

export function readState(options: StackOptions): StackState | undefined {
  const file = stateFile(options);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as StackState | StackStateV1;
    if (state.format === 1) return fromV1(state, options);
    return state.format === 2 ? state : undefined;
  } catch {
    return undefined;
  }
}

export function writeState(options: StackOptions, state: StackState): void {
  writeFileSync(stateFile(options), JSON.stringify(state, null, 2));
}

/** What the state directory says about the stack `up` started there, whatever the environment says. */
function localStatus(options: StackOptions): Exclude<StackStatus, { state: 'external' }> {
  const detail = readState(options);
  if (!detail) return { state: 'stopped' };
  const servers = [
    ...detail.kafka.map((n) => ({ name: `kafka node ${n.nodeId}`, pid: n.pid })),
    { name: 'registry', pid: detail.registry.pid },
    ...(detail.nginx ? [{ name: 'nginx', pid: detail.nginx.pid }] : []),
  ];
  const dead = servers.filter((s) => !isOurProcess(s.pid, detail.marker)).map((s) => s.name);
  const endpoints: ClusterEndpoints = {
    brokers: detail.brokers,
    registryUrl: detail.registryUrl,
    ...(detail.secure ? { secure: detail.secure } : {}),
  };
  if (dead.length === 0) return { state: 'running', endpoints, detail };
  if (dead.length === servers.length) return { state: 'stopped' };
  return { state: 'degraded', endpoints, detail, dead };
}

/** The environment names the local stack: its plain or (pointed at by hand) its secured endpoints. */
const sameEndpoints = (local: ClusterEndpoints, env: ClusterEndpoints) =>
  [local.registryUrl, local.secure?.registryUrl].includes(env.registryUrl) &&
  [local.brokers.join(','), local.secure?.brokers.join(',')].includes(env.brokers.join(','));

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
export async function withLock<T>(options: StackOptions, body: () => Promise<T>): Promise<T> {
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
    ...state.kafka.map((node) => stopProcess(node.pid, state.marker)),
    stopProcess(state.registry.pid, state.marker),
    ...(state.nginx ? [stopProcess(state.nginx.pid, state.marker)] : []),
  ]);
  for (const node of state.kafka) rmSync(node.dataDir, { recursive: true, force: true });
  rmSync(stateFile(options), { force: true });
}

async function ensurePortsFree(options: StackOptions): Promise<void> {
  const nodes = kafkaNodes(options, workDir(options));
  const which = (node: { nodeId: number }) => (nodes.length > 1 ? ` node ${node.nodeId}` : '');
  const wanted: Array<[number, string, string]> = [
    ...nodes.flatMap((node): Array<[number, string, string]> => [
      [node.port, `Kafka broker${which(node)}`, 'AVROKIT_KAFKA_PORT'],
      [node.controllerPort, `Kafka controller${which(node)}`, 'AVROKIT_KAFKA_CONTROLLER_PORT'],
    ]),
    [options.registryPort, 'schema registry', 'AVROKIT_REGISTRY_PORT'],
    ...(options.secure
      ? [
          ...nodes.map((node): [number, string, string] => [
            node.securePort!,
            `Kafka SASL_SSL listener${which(node)}`,
            'AVROKIT_KAFKA_SECURE_PORT',
          ]),
          [options.secureRegistryPort, 'registry behind nginx (HTTPS)', 'AVROKIT_REGISTRY_SECURE_PORT'] as [
            number,
            string,
            string,
          ],
        ]
      : []),
  ];
  const taken = new Map<number, string>();
  for (const [port, role, variable] of wanted) {
    // Ports of nodes are spaced by 2 from the two base ports; an explicit controller port can collide.
    const other = taken.get(port);
    if (other) {
      throw new StackError(
        'STACK_PORT_IN_USE',
        `port ${port} would serve both the ${other} and the ${role}; set ${variable} apart (nodes take every second port from it)`,
        { context: { port, host: options.host } },
      );
    }
    taken.set(port, role);
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
      if (options.secure && !detail.secure) {
        throw new StackError(
          'STACK_NOT_SECURE',
          `the stack running from ${options.stateDir} was started without --secure; run 'avrokit stack down' first, then 'avrokit stack up --secure'`,
          { context: { stateDir: options.stateDir } },
        );
      }
      return {
        endpoints: status.endpoints,
        outcome: 'already-running',
        versions: { kafka: detail.kafka[0]?.version ?? '', registry: detail.registry.version },
        nodes: detail.kafka.length,
      };
    }
    // A half-dead stack (one server crashed) is replaced whole rather than patched.
    const stale = readState(options);
    if (stale) await stopServers(options, stale);

    const { java, mvn } = findToolchain();
    await ensurePortsFree(options);
    // nginx first: when it cannot be had, nothing else is fetched or started for nothing.
    const nginx: NginxBinary | undefined = options.secure ? ensureNginx(options) : undefined;
    const kafkaDist = ensureKafka(options, mvn);
    const apicurioDist = ensureApicurio(options, mvn);

    const dir = workDir(options);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const marker = `-Davrokit.stack=${options.stateDir}`;
    const nodes = kafkaNodes(options, dir);
    let endpoints: ClusterEndpoints = {
      brokers: nodes.map((n) => `${options.host}:${n.port}`),
      registryUrl: `http://${options.host}:${options.registryPort}${CCOMPAT_PATH}`,
    };

    // The registry is the slower starter, so it goes first; state is written as soon as each pid exists so
    // that `down` can clean up even if this process dies half-way.
    let registry: StartedServer | undefined;
    let proxy: StartedServer | undefined;
    const started: KafkaNodeState[] = [];
    const record = () =>
      writeState(options, {
        format: 2,
        startedAt: new Date().toISOString(),
        marker,
        ...endpoints,
        kafka: started,
        registry: {
          pid: registry?.pid ?? 0,
          version: apicurioDist.version,
          logFile: registry?.logFile ?? '',
        },
        ...(proxy && nginx
          ? { nginx: { pid: proxy.pid, version: nginx.version, logFile: proxy.logFile } }
          : {}),
      });
    try {
      registry = startRegistry(options, apicurioDist, java, dir, marker);
      record();
      // keytool runs while the registry boots; a state directory keeps its material between ups.
      const material = options.secure ? await ensureSecureMaterial(options, java) : undefined;
      const security = material ? kafkaSecurity(material) : undefined;
      if (material) endpoints = { ...endpoints, secure: secureEndpoints(options, nodes, material) };
      const clusterId = newClusterId();
      for (const node of nodes) {
        mkdirSync(node.dir, { recursive: true });
        started.push({
          ...launchKafkaNode(options, kafkaDist, java, node, clusterId, marker, security),
          version: kafkaDist.version,
        });
        record();
      }
      if (material && nginx) {
        proxy = startNginx(options, nginx, dir, material, marker);
        record();
      }
      await Promise.all([
        waitForRegistry(endpoints.registryUrl, registry, options.startTimeoutMs),
        waitForKafka(endpoints.brokers, started, options.startTimeoutMs),
      ]);
      await setGlobalCompatibility(endpoints.registryUrl, 'BACKWARD');
      if (material && security && proxy && endpoints.secure) {
        const { secure } = endpoints;
        const basic = `Basic ${Buffer.from(`${REGISTRY_USER}:${readSecret(material.registryPasswordFile)}`).toString('base64')}`;
        const ca = readFileSync(material.caFile, 'utf8');
        await Promise.all([
          waitForNginx(secure.registryUrl, proxy, ca, basic, options.startTimeoutMs),
          waitForSecureListener(secure.brokers, ca, security, options.startTimeoutMs),
        ]);
      }
    } catch (err) {
      const state = readState(options);
      if (state) await stopServers(options, state);
      throw err;
    }
    return {
      endpoints,
      outcome: 'started',
      versions: { kafka: kafkaDist.version, registry: apicurioDist.version },
      nodes: nodes.length,
    };
  });
}

function kafkaSecurity(material: SecureMaterial): KafkaSecurity {
  return {
    keystore: material.serverKeystore,
    storePassword: readSecret(material.storePasswordFile),
    username: KAFKA_USER,
    password: readSecret(material.kafkaPasswordFile),
  };
}

function secureEndpoints(
  options: StackOptions,
  nodes: ReturnType<typeof kafkaNodes>,
  material: SecureMaterial,
): SecureEndpoints {
  return {
    brokers: nodes.map((n) => `${options.host}:${n.securePort}`),
    registryUrl: `https://${options.host}:${options.secureRegistryPort}${CCOMPAT_PATH}`,
    caFile: material.caFile,
    mutualTlsRegistryUrl: `https://${options.host}:${options.secureRegistryPort}${MTLS_PATH}${CCOMPAT_PATH}`,
    // The stack's one certificate is for clientAuth as well as serverAuth.
    clientCertFile: material.serverCertFile,
    clientKeyFile: material.serverKeyFile,
    saslMechanisms: SASL_MECHANISMS,
    kafkaUsername: KAFKA_USER,
    kafkaPasswordFile: material.kafkaPasswordFile,
    registryUsername: REGISTRY_USER,
    registryPasswordFile: material.registryPasswordFile,
  };
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
export function exportLines(endpoints: ClusterEndpoints, stateDir?: string): string {
  return exportVariables(endpoints, stateDir)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join('');
}

/**
 * The variables {@link exportLines} sets, as name and value. `stateDir`, for a stack started (or found
 * running) here, is exported too: `stack status` and `stack down` in the shell that evaluated the lines
 * then look in the directory `up` used, not the default one (where they would call it external).
 */
export function exportVariables(endpoints: ClusterEndpoints, stateDir?: string): Array<[string, string]> {
  const lines: Array<[string, string]> = [
    ['KAFKA_BROKERS', endpoints.brokers.join(',')],
    ['SCHEMA_REGISTRY_URL', endpoints.registryUrl],
    ...(stateDir === undefined ? [] : ([['AVROKIT_STACK_DIR', stateDir]] as Array<[string, string]>)),
  ];
  const { secure } = endpoints;
  if (secure) {
    // Passwords by file: these lines end up in terminals, logs and shell history.
    lines.push(
      ['AVROKIT_KAFKA_SECURE_BROKERS', secure.brokers.join(',')],
      ['AVROKIT_SECURE_REGISTRY_URL', secure.registryUrl],
      ['AVROKIT_CA_FILE', secure.caFile],
      ['AVROKIT_MTLS_REGISTRY_URL', secure.mutualTlsRegistryUrl],
      ['AVROKIT_CLIENT_CERT_FILE', secure.clientCertFile],
      ['AVROKIT_CLIENT_KEY_FILE', secure.clientKeyFile],
      ['AVROKIT_KAFKA_SASL_MECHANISMS', secure.saslMechanisms.join(',')],
      ['AVROKIT_KAFKA_USERNAME', secure.kafkaUsername],
      ['AVROKIT_KAFKA_PASSWORD_FILE', secure.kafkaPasswordFile],
      ['AVROKIT_REGISTRY_USERNAME', secure.registryUsername],
      ['AVROKIT_REGISTRY_PASSWORD_FILE', secure.registryPasswordFile],
    );
  }
  return lines;
}

/** Values are addresses and paths; a path with a space or quote still makes one word for `eval`. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
