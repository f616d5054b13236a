import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { StackError } from '../errors.js';
import type { KafkaDistribution } from './artifacts.js';
import { kafkaLogging } from './kafka-version.js';
import type { StackOptions } from './options.js';
import { isAlive, run, spawnDetached, tailOf } from './processes.js';

/**
 * One Kafka node of the stack: a combined broker + controller with its own ports and files. Node n
 * (1-based) listens on kafkaPort + 2(n-1) for clients and controllerPort + 2(n-1) for the quorum, so
 * with the default controller port (kafkaPort + 1) a 3-node stack on 19092 takes 19092–19097.
 */
export interface KafkaNode {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  /** The SASL_SSL listener's port, on a secured stack. */
  readonly securePort?: number;
  /** Where the node's properties, logs and (in `dataDir`) partitions live. */
  readonly dir: string;
  readonly dataDir: string;
}

export function kafkaNodes(options: StackOptions, workDir: string): KafkaNode[] {
  return Array.from({ length: options.brokers }, (_, i) => {
    // One node keeps the layout the single-broker stack always had (run/kafka.log, run/kafka-data).
    const dir = options.brokers === 1 ? workDir : join(workDir, `kafka-${i + 1}`);
    return {
      nodeId: i + 1,
      port: options.kafkaPort + 2 * i,
      controllerPort: options.controllerPort + 2 * i,
      ...(options.secure ? { securePort: options.secureKafkaPort + 2 * i } : {}),
      dir,
      dataDir: join(dir, 'kafka-data'),
    };
  });
}

/**
 * A combined broker+controller in KRaft mode, tuned for one developer machine, not production. With
 * more than one node the internal topics and new topics get 3 replicas (or as many as there are nodes)
 * and min.insync.replicas 2, so acks=all survives the loss of one node — what a real cluster does.
 */
export function serverProperties(options: StackOptions, node: KafkaNode, secure?: KafkaSecurity): string {
  const { host } = options;
  const nodes = kafkaNodes(options, '');
  const replicas = Math.min(3, nodes.length);
  const minIsr = Math.min(2, replicas);
  const saslSsl = secure && node.securePort !== undefined ? `,SASL_SSL://${host}:${node.securePort}` : '';
  return [
    'process.roles=broker,controller',
    `node.id=${node.nodeId}`,
    `controller.quorum.voters=${nodes.map((n) => `${n.nodeId}@${host}:${n.controllerPort}`).join(',')}`,
    `listeners=PLAINTEXT://${host}:${node.port},CONTROLLER://${host}:${node.controllerPort}${saslSsl}`,
    `advertised.listeners=PLAINTEXT://${host}:${node.port}${saslSsl}`,
    'controller.listener.names=CONTROLLER',
    // Brokers talk to each other in plain text: only clients meet the secured listener.
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${saslSsl ? ',SASL_SSL:SASL_SSL' : ''}`,
    ...(saslSsl && secure ? saslSslProperties(secure) : []),
    `log.dirs=${node.dataDir}`,
    'num.partitions=1',
    // Internal topics cannot have more replicas than there are nodes.
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${minIsr}`,
    `offsets.topic.replication.factor=${replicas}`,
    'offsets.topic.num.partitions=4',
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minIsr}`,
    // Timed-out transactions are aborted within a second (default 10 s), so a producer that died
    // mid-transaction stops holding read_committed consumers back soon.
    `transaction.abort.timed.out.transaction.cleanup.interval.ms=1000`,
    // Consumers in tests join at once instead of waiting 3 s for more members.
    'group.initial.rebalance.delay.ms=0',
    // Kafka 4's consumer groups (KIP-848) hand a partition over at the members' heartbeats, which the
    // broker spaces 5 s apart by default; 1 s keeps a developer's (and the tests') rebalances short.
    'group.consumer.min.heartbeat.interval.ms=1000',
    'group.consumer.heartbeat.interval.ms=1000',
    'auto.create.topics.enable=true',
    '',
  ].join('\n');
}

/** What a node's SASL_SSL listener needs: the keystore and the users' passwords (never logged). */
export interface KafkaSecurity {
  readonly keystore: string;
  readonly storePassword: string;
  readonly username: string;
  readonly password: string;
}

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/**
 * PLAIN checks the users of its JAAS configuration; SCRAM checks the credentials stored in the
 * cluster's metadata, which KRaft takes at format time (see {@link scramArguments}).
 */
function saslSslProperties(secure: KafkaSecurity): string[] {
  const prefix = 'listener.name.sasl_ssl';
  return [
    `sasl.enabled.mechanisms=${SASL_MECHANISMS.join(',')}`,
    `${prefix}.sasl.enabled.mechanisms=${SASL_MECHANISMS.join(',')}`,
    `${prefix}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${secure.username}="${secure.password}";`,
    `${prefix}.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    `${prefix}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    `${prefix}.ssl.keystore.type=PKCS12`,
    `${prefix}.ssl.keystore.location=${secure.keystore}`,
    `${prefix}.ssl.keystore.password=${secure.storePassword}`,
    `${prefix}.ssl.key.password=${secure.storePassword}`,
  ];
}

/** `kafka-storage format --add-scram …`: the SCRAM user, for both SHA variants. */
export function scramArguments(secure: KafkaSecurity): string[] {
  return ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => [
    '--add-scram',
    `${mechanism}=[name=${secure.username},password=${secure.password}]`,
  ]);
}

/**
 * Kafka cluster ids are 16 random bytes in URL-safe base64 without padding, as `StorageTool random-uuid`
 * prints. Like Kafka's Uuid.randomUuid, never one that starts with '-': StorageTool's argument parser
 * would read `-t -Abc…` as an option (1 start in 64 failed with "expected one argument").
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface StartedServer {
  readonly pid: number;
  readonly logFile: string;
}

/** A started Kafka node, with what it takes to start it again on its data (same argv, same files). */
export interface StartedKafkaNode extends StartedServer {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly command: readonly string[];
  readonly cwd: string;
  readonly outFile: string;
}

/**
 * Formats the node's storage (every node of a cluster with the same cluster id) and starts it. The
 * command line carries the stack's marker, so `down` and `status` know the process as ours.
 */
export function launchKafkaNode(
  options: StackOptions,
  dist: KafkaDistribution,
  java: string,
  node: KafkaNode,
  clusterId: string,
  marker: string,
  secure?: KafkaSecurity,
): StartedKafkaNode {
  mkdirSync(node.dataDir, { recursive: true });
  const propsFile = join(node.dir, 'kafka.properties');
  const logFile = join(node.dir, 'kafka.log');
  const logging = kafkaLogging(dist.version);
  const loggingFile = join(node.dir, logging.configFileName);
  // The properties hold the keystore and PLAIN passwords on a secured stack: readable by the owner only.
  writeFileSync(propsFile, serverProperties(options, node, secure), { mode: 0o600 });
  writeFileSync(loggingFile, logging.configuration(logFile));

  const jvm = [`-Xmx${options.heap}`, logging.jvmFlag(loggingFile), '-cp', dist.classpath];
  const scram = secure ? scramArguments(secure) : [];
  const format = run(java, [
    ...jvm,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    propsFile,
    ...scram,
  ]);
  if (format.status !== 0) {
    const reason = (format.stderr || format.stdout).trim().split('\n').pop() ?? '';
    throw new StackError(
      'STACK_START_FAILED',
      `could not format Kafka storage in ${node.dataDir}: ${secure ? reason.replaceAll(secure.password, '***') : reason}`,
    );
  }
  const command = [java, marker, ...jvm, 'kafka.Kafka', propsFile];
  const outFile = join(node.dir, 'kafka.out');
  const pid = spawnDetached(command[0]!, command.slice(1), outFile, node.dir);
  return { ...node, pid, logFile, command, cwd: node.dir, outFile };
}

/** Starts a stopped node again exactly as it was started, on the data it left. */
export function relaunchKafkaNode(node: StartedKafkaNode): StartedKafkaNode {
  const pid = spawnDetached(node.command[0]!, node.command.slice(1), node.outFile, node.cwd);
  return { ...node, pid };
}

/**
 * Ready means a client can fetch cluster metadata naming every node (each has registered with the
 * quorum and been unfenced) and a live controller, not merely that the ports accept connections.
 * `brokers` are the addresses asked; with one address, only that node's answer counts.
 */
export async function waitForKafka(
  brokers: string[],
  servers: readonly (StartedServer & { readonly nodeId?: number })[],
  timeoutMs: number,
  expectedNodes = servers.length,
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'avrokit-stack',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    for (const server of servers) {
      if (!isAlive(server.pid)) {
        throw new StackError(
          'STACK_START_FAILED',
          `Kafka${server.nodeId === undefined ? '' : ` node ${server.nodeId}`} exited during start-up:\n${tailOf(server.logFile)}`,
        );
      }
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      const ids = new Set(cluster.brokers.map((b) => b.nodeId));
      const registered = servers.every((s) => s.nodeId === undefined || ids.has(s.nodeId));
      if (registered && ids.size >= expectedNodes && cluster.controller !== null) return;
      lastError = new Error(`${cluster.brokers.length} of ${expectedNodes} nodes registered`);
    } catch (err) {
      lastError = err;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(250);
  }
  throw new StackError(
    'STACK_START_FAILED',
    `Kafka did not answer a metadata request on ${brokers.join(',')} within ${timeoutMs / 1000}s` +
      (lastError instanceof Error ? ` (${lastError.message})` : ''),
    { retriable: true },
  );
}

/**
 * The SASL_SSL listener answers: a metadata request over TLS (verified against the stack's CA) after
 * SCRAM-SHA-512 authentication. It opens with the plain listener, so this is quick; it proves the
 * keystore, the JAAS configuration and the SCRAM credentials written at format time.
 */
export async function waitForSecureListener(
  brokers: string[],
  ca: string,
  secure: KafkaSecurity,
  timeoutMs: number,
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'avrokit-stack',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    retry: { retries: 0 },
    ssl: { ca },
    sasl: { mechanism: 'scram-sha-512', username: secure.username, password: secure.password },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      // A refused certificate or password will not get better by waiting.
      if (/certificate|authentication failed/i.test(lastError)) break;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(250);
  }
  throw new StackError(
    'STACK_START_FAILED',
    `Kafka's SASL_SSL listener on ${brokers.join(',')} did not accept SCRAM-SHA-512 over TLS (${lastError.replaceAll(secure.password, '***')})`,
    { retriable: true },
  );
}
