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

/** A single combined broker+controller in KRaft mode, tuned for one developer machine, not production. */
function serverProperties(options: StackOptions, dataDir: string): string {
  const { host, kafkaPort, controllerPort } = options;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${kafkaPort},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${kafkaPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    // One node: internal topics cannot have more replicas than brokers.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    // Consumers in tests join at once instead of waiting 3 s for more members.
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    '',
  ].join('\n');
}

/** Kafka cluster ids are 16 random bytes in URL-safe base64 without padding, as `StorageTool random-uuid` prints. */
function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

export interface StartedServer {
  readonly pid: number;
  readonly logFile: string;
}

export function startKafka(
  options: StackOptions,
  dist: KafkaDistribution,
  java: string,
  workDir: string,
  marker: string,
): StartedServer {
  const dataDir = join(workDir, 'kafka-data');
  mkdirSync(dataDir, { recursive: true });
  const propsFile = join(workDir, 'kafka.properties');
  const logFile = join(workDir, 'kafka.log');
  const logging = kafkaLogging(dist.version);
  const loggingFile = join(workDir, logging.configFileName);
  writeFileSync(propsFile, serverProperties(options, dataDir));
  writeFileSync(loggingFile, logging.configuration(logFile));

  const jvm = [`-Xmx${options.heap}`, logging.jvmFlag(loggingFile), '-cp', dist.classpath];
  const format = run(java, [
    ...jvm,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    newClusterId(),
    '-c',
    propsFile,
  ]);
  if (format.status !== 0) {
    throw new StackError(
      'STACK_START_FAILED',
      `could not format Kafka storage in ${dataDir}: ${(format.stderr || format.stdout).trim().split('\n').pop()}`,
    );
  }
  const pid = spawnDetached(
    java,
    [marker, ...jvm, 'kafka.Kafka', propsFile],
    join(workDir, 'kafka.out'),
    workDir,
  );
  return { pid, logFile };
}

/** Ready means a client can fetch cluster metadata, not merely that the port accepts connections. */
export async function waitForKafka(
  brokers: string[],
  server: StartedServer,
  timeoutMs: number,
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
    if (!isAlive(server.pid)) {
      throw new StackError('STACK_START_FAILED', `Kafka exited during start-up:\n${tailOf(server.logFile)}`);
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) return;
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
