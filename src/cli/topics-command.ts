import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { readTopicNames } from '../schema/topic-map.js';
import { isAvrokitError, UsageError } from '../errors.js';
import { fromKafkaJs, ProducerError, type ProducerErrorCode } from '../producer/errors.js';
import { defineCommand, type Command } from './command.js';
import { brokersFrom, kafkaSecurityFrom, positiveIntegerOption } from './environment.js';
import { kafkajsSasl, kafkajsSsl } from '../kafka/security.js';
import { stdoutStyle } from './style.js';

const usage = `Usage: avrokit topics create --topics <file> [options]
       avrokit topics list [--topics <file>] [--format text|json]

create: creates the topics of a topic map on the cluster, so that producers can send to them. Topics
that already exist are left as they are (their partitions and settings are not changed): running it
again is harmless.
list: each topic of the map with its partitions, and the map's topics the cluster does not have (exit
1 when there are any); without --topics, the cluster's topics.

  --topics <file>              the topic map ({ "<topic>": { "key": ..., "value": ... } })
  --partitions <n>             partitions of each new topic (default: the broker's num.partitions)
  --replication-factor <n>     replicas of each partition (default: the broker's default.replication.factor)
  --brokers <list>             bootstrap brokers (default: KAFKA_BROKERS)
  --format text|json           list's output (default text; json: its shape in docs/cli.md)

Exit codes: 0 every topic exists (now), 1 a map's topic is missing (list), or the cluster refused or
could not be reached, 2 usage or input error.`;

/** One topic as \`topics list --format json\` prints it (documented in docs/cli.md). */
interface ListedTopic {
  readonly topic: string;
  readonly exists: boolean;
  /** Undefined when the topic does not exist. */
  readonly partitions?: number;
  /** With --topics: whether the map has it (false: on the cluster only, which only lists without --topics). */
  readonly inMap: boolean;
}

export const topicsCommand: Command = defineCommand({
  name: 'topics',
  summary: 'create or list the topics of a topic map on the cluster',
  usage,
  options: {
    topics: { type: 'string' },
    partitions: { type: 'string' },
    'replication-factor': { type: 'string' },
    brokers: { type: 'string' },
    format: { type: 'string' },
  },
  async run(values, positionals) {
    const action = positionals[0];
    if (positionals.length !== 1 || (action !== 'create' && action !== 'list')) {
      throw new UsageError(
        `expected topics create or topics list (got ${positionals.join(' ') || 'nothing'})`,
      );
    }
    if (action === 'list') return listTopics(values);
    if (values.format !== undefined) throw new UsageError('--format is an option of topics list');
    if (!values.topics) throw new UsageError('--topics <file> is required');
    const partitions = positiveIntegerOption('partitions', values.partitions);
    const replicationFactor = positiveIntegerOption('replication-factor', values['replication-factor']);
    const brokers = brokersFrom(values.brokers);
    const names = await readTopicNames(resolve(values.topics));

    const admin = adminFor(brokers);
    const style = stdoutStyle();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const missing = names.filter((t) => !existing.has(t));
      if (missing.length > 0) {
        await admin.createTopics({
          // -1: the broker's default (CreateTopics v4+, Kafka 2.4+).
          topics: missing.map((topic) => ({
            topic,
            numPartitions: partitions ?? -1,
            replicationFactor: replicationFactor ?? -1,
          })),
          waitForLeaders: true,
        });
      }
      const metadata = await metadataOnceKnown(admin, names);
      for (const topic of names) {
        const count = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
        const what = missing.includes(topic) ? 'created' : 'already exists';
        process.stdout.write(
          `${style.ok('✔')} ${style.name(topic)} ${what}, ${count} partition${count === 1 ? '' : 's'}\n`,
        );
      }
    } catch (err) {
      if (isAvrokitError(err)) throw err;
      const broker = fromKafkaJs(err, {});
      throw new ProducerError(
        broker.code as ProducerErrorCode,
        `could not create the topics on ${brokers.join(',')}: ${(err as Error).message}`,
        { cause: err, retriable: broker.retriable, context: broker.context },
      );
    } finally {
      await admin.disconnect();
    }
    return 0;
  },
});

function adminFor(brokers: string[]) {
  const { tls, sasl } = kafkaSecurityFrom();
  return new Kafka({
    brokers,
    clientId: 'avrokit-topics',
    logLevel: logLevel.NOTHING,
    ...(tls ? { ssl: kafkajsSsl(tls) } : {}),
    ...(sasl ? { sasl: kafkajsSasl(sasl) } : {}),
  }).admin();
}

async function listTopics(values: {
  topics?: string | undefined;
  brokers?: string | undefined;
  format?: string | undefined;
  partitions?: string | undefined;
  'replication-factor'?: string | undefined;
}): Promise<number> {
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError('--format must be text or json');
  if (values.partitions !== undefined || values['replication-factor'] !== undefined) {
    throw new UsageError('--partitions and --replication-factor are options of topics create');
  }
  const brokers = brokersFrom(values.brokers);
  const inMap = values.topics ? await readTopicNames(resolve(values.topics)) : undefined;
  const admin = adminFor(brokers);
  let listed: ListedTopic[];
  try {
    await admin.connect();
    const onCluster = new Set((await admin.listTopics()).filter((t) => !t.startsWith('__')));
    const names = inMap ?? [...onCluster].sort();
    const existing = names.filter((t) => onCluster.has(t));
    const metadata = existing.length > 0 ? await metadataOnceKnown(admin, existing) : { topics: [] };
    listed = names.map((topic) => {
      const found = metadata.topics.find((t) => t.name === topic);
      return {
        topic,
        exists: found !== undefined,
        ...(found ? { partitions: found.partitions.length } : {}),
        inMap: inMap !== undefined,
      };
    });
  } catch (err) {
    if (isAvrokitError(err)) throw err;
    const broker = fromKafkaJs(err, {});
    throw new ProducerError(
      broker.code as ProducerErrorCode,
      `could not list the topics on ${brokers.join(',')}: ${(err as Error).message}`,
      { cause: err, retriable: broker.retriable, context: broker.context },
    );
  } finally {
    await admin.disconnect();
  }
  const missing = listed.filter((t) => !t.exists).map((t) => t.topic);
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify({ topics: listed, missing }, null, 2)}\n`);
  } else {
    const style = stdoutStyle();
    for (const t of listed) {
      process.stdout.write(
        t.exists
          ? `${style.ok('✔')} ${style.name(t.topic)}: ${t.partitions} partition${t.partitions === 1 ? '' : 's'}\n`
          : `${style.fail('✖')} ${style.name(t.topic)}: in the topic map, not on the cluster\n`,
      );
    }
    if (missing.length > 0) {
      process.stderr.write(
        `avrokit topics list: ${missing.length} topic${missing.length === 1 ? '' : 's'} of ${values.topics} ` +
          `not on the cluster (${missing.join(', ')}): run avrokit topics create --topics ${values.topics}\n`,
      );
    }
  }
  return missing.length === 0 ? 0 : 1;
}

/**
 * The topics' metadata, asked again while a node answers a retriable error: kafkajs asks one node at
 * random, and on a cluster of several nodes a node may not yet know a topic the controller has just
 * created (UNKNOWN_TOPIC_OR_PARTITION). Bounded, so a cluster that never learns fails loudly.
 */
async function metadataOnceKnown(admin: Admin, topics: string[], timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await admin.fetchTopicMetadata({ topics });
    } catch (err) {
      if ((err as { retriable?: boolean }).retriable !== true || Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}
