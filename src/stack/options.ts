import { homedir } from 'node:os';
import { join } from 'node:path';
import { OptionsError } from '../errors.js';

/**
 * Versions fetched from Maven Central. Kafka: the newest 4.x release, which is what clusters run today and
 * runs on Java 17 (brokers need 17+ since 4.0); 3.x stays selectable (`AVROKIT_KAFKA_VERSION=3.9.2`) and
 * is part of the compatibility matrix (`npm run test:compat`). Apicurio 3.1.x is what the design asks for, but Maven Central
 * publishes no 3.1.x build of `apicurio-registry-app` (only 3.0.9 and 3.3.x, and 3.2+ needs Java 21),
 * so the default is the newest release that runs on Java 17. Both are overridable.
 */
export const DEFAULT_KAFKA_VERSION = '4.4.0';
export const DEFAULT_APICURIO_VERSION = '3.0.9';

export interface StackOptions {
  /** Where downloaded distributions are kept between runs (outside the repository). */
  readonly cacheDir: string;
  /** Where the running stack keeps its state file, logs and (fresh on every `up`) data. */
  readonly stateDir: string;
  readonly host: string;
  readonly kafkaPort: number;
  readonly controllerPort: number;
  readonly registryPort: number;
  /**
   * Kafka nodes, each a combined broker + controller. 1 (the default) is a single-node cluster; 3 is a
   * cluster that survives one node's loss (3 controller voters, replication factor 3, min ISR 2).
   */
  readonly brokers: number;
  readonly kafkaVersion: string;
  readonly apicurioVersion: string;
  /** JVM heap for each server; both stay modest so a 2-core CI machine keeps room for the tests. */
  readonly heap: string;
  /** How long to wait for each server to answer before giving up. */
  readonly startTimeoutMs: number;
  /**
   * Also serve a secured cluster beside the plain one: a SASL_SSL listener on every Kafka node and the
   * registry behind an nginx that terminates TLS and asks for basic auth (`stack up --secure`).
   */
  readonly secure: boolean;
  /** The SASL_SSL listener of node 1; node n takes every second port from it, as the plain one does. */
  readonly secureKafkaPort: number;
  /** nginx's HTTPS port in front of the registry. */
  readonly secureRegistryPort: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function portFrom(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`${name} must be a TCP port number (1-65535), got "${raw}"`);
  }
  return port;
}

/** `1`/`true`/`yes` turn a switch on; empty or unset leaves it off; anything else is a mistake worth naming. */
function flagFrom(env: Env, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false' || raw === 'no') return false;
  if (raw === '1' || raw === 'true' || raw === 'yes') return true;
  throw new OptionsError(name, `must be 1 or 0 (true or false), got "${env[name]}"`);
}

/** More nodes than this is not a developer machine's cluster; KRaft quorums are odd-sized and small. */
export const MAX_BROKERS = 9;

/** A node count from `--brokers` or AVROKIT_KAFKA_BROKERS_COUNT; `option` names where it came from. */
export function parseBrokerCount(raw: string, option: string): number {
  const count = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || count < 1 || count > MAX_BROKERS) {
    throw new OptionsError(option, `must be a number of Kafka nodes from 1 to ${MAX_BROKERS}, got "${raw}"`);
  }
  return count;
}

export function resolveStackOptions(env: Env = process.env): StackOptions {
  const cacheRoot = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const cacheDir = env.AVROKIT_CACHE_DIR || join(cacheRoot, 'avrokit');
  const kafkaPort = portFrom(env, 'AVROKIT_KAFKA_PORT', 19092);
  const registryPort = portFrom(env, 'AVROKIT_REGISTRY_PORT', 18081);
  return {
    cacheDir,
    stateDir: env.AVROKIT_STACK_DIR || join(cacheDir, 'stack'),
    host: '127.0.0.1',
    kafkaPort,
    controllerPort: portFrom(env, 'AVROKIT_KAFKA_CONTROLLER_PORT', kafkaPort + 1),
    registryPort,
    brokers: env.AVROKIT_KAFKA_BROKERS_COUNT
      ? parseBrokerCount(env.AVROKIT_KAFKA_BROKERS_COUNT, 'AVROKIT_KAFKA_BROKERS_COUNT')
      : 1,
    kafkaVersion: env.AVROKIT_KAFKA_VERSION || DEFAULT_KAFKA_VERSION,
    apicurioVersion: env.AVROKIT_APICURIO_VERSION || DEFAULT_APICURIO_VERSION,
    heap: env.AVROKIT_STACK_HEAP || '512m',
    startTimeoutMs: 180_000,
    secure: flagFrom(env, 'AVROKIT_STACK_SECURE'),
    // +20 keeps clear of a 3-node stack's ports (kafkaPort … kafkaPort + 5) and of the fault tests'
    // stacks, which take the ports + 10 (test/support/faults.ts) and may run beside a secured stack.
    secureKafkaPort: portFrom(env, 'AVROKIT_KAFKA_SECURE_PORT', kafkaPort + 20),
    secureRegistryPort: portFrom(env, 'AVROKIT_REGISTRY_SECURE_PORT', registryPort + 20),
  };
}

/** An existing cluster the user pointed us at; when set, the stack starts nothing. */
export interface ExternalCluster {
  readonly brokers: string[];
  readonly registryUrl: string;
}

export function externalClusterFrom(env: Env = process.env): ExternalCluster | undefined {
  const brokers = env.KAFKA_BROKERS?.trim();
  const registryUrl = env.SCHEMA_REGISTRY_URL?.trim();
  if (!brokers || !registryUrl) return undefined;
  return {
    brokers: brokers
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    registryUrl,
  };
}
