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

Creates the topics of a topic map on the cluster, so that producers can send to them. Topics that
already exist are left as they are (their partitions and settings are not changed): running it again
is harmless.

  --topics <file>              the topic map ({ "<topic>": { "key": ..., "value": ... } })
  --partitions <n>             partitions of each new topic (default: the broker's num.partitions)
  --replication-factor <n>     replicas of each partition (default: the broker's default.replication.factor)
  --brokers <list>             bootstrap brokers (default: KAFKA_BROKERS)

Exit codes: 0 every topic exists now, 1 the cluster refused or could not be reached, 2 usage or input error.`;

export const topicsCommand: Command = defineCommand({
  name: 'topics',
  summary: 'create the topics of a topic map on the cluster',
  usage,
  options: {
    topics: { type: 'string' },
    partitions: { type: 'string' },
    'replication-factor': { type: 'string' },
    brokers: { type: 'string' },
  },
  async run(values, positionals) {
    if (positionals.length !== 1 || positionals[0] !== 'create') {
      throw new UsageError(`expected topics create (got ${positionals.join(' ') || 'nothing'})`);
    }
    if (!values.topics) throw new UsageError('--topics <file> is required');
    const partitions = positiveIntegerOption('partitions', values.partitions);
    const replicationFactor = positiveIntegerOption('replication-factor', values['replication-factor']);
    const brokers = brokersFrom(values.brokers);
    const names = await readTopicNames(resolve(values.topics));

    const { tls, sasl } = kafkaSecurityFrom();
    const admin = new Kafka({
      brokers,
      clientId: 'avrokit-topics',
      logLevel: logLevel.NOTHING,
      ...(tls ? { ssl: kafkajsSsl(tls) } : {}),
      ...(sasl ? { sasl: kafkajsSasl(sasl) } : {}),
    }).admin();
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
