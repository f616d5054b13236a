import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type avro from 'avsc';
import { createConsumer, type Consumer } from '../consumer/consumer.js';
import { isAvrokitError, UsageError } from '../errors.js';
import { loadSchemas } from '../schema/load.js';
import { readTopicMap } from '../schema/topic-map.js';
import type { TopicBinding, TopicMapShape, Topics } from '../schema/topics.js';
import { SchemaRegistry } from '../registry/schema-registry.js';
import { defineCommand, type Command } from './command.js';
import { brokersFrom, kafkaSecurityFrom, registryOptionsFrom, registryUrlFrom } from './environment.js';
import { bindTopic } from './produce-command.js';
import type { JsonEncoding } from './record-input.js';
import { toJson } from './record-output.js';
import { errorLine, stderrStyle } from './style.js';

const usage = `Usage: avrokit consume <schema files or folders...> --topics <file> --topic <topic> [options]

Reads typed Avro records from <topic> and writes their values to standard output as JSON lines —
the lines \`avrokit produce\` reads back. Values are resolved into the topic map's schema (the reader
schema), whichever compatible schema they were written with.

  --topic <topic>          the topic (must be in the topic map)
  --topics <file>          the topic map (topic → key and value types)
  --group <id>             read as this consumer group: start from its committed offsets and commit
                           what was written out (default: a new group each run, nothing committed)
  --from-beginning         start where the group has no committed offset at the earliest record
                           (default: only records that arrive from now on, as Java's console consumer)
  --max-records <n>        stop after n records (default: run until interrupted)
  --json-encoding natural|avro
                           natural (default): the JSON \`avrokit produce\` reads by default —
                             decimals as text, timestamps as ISO-8601, unions as the bare value
                           avro: Avro's JSON encoding, as kafka-avro-console-consumer prints it
  --print-metadata         one JSON object a line: topic, partition, offset, timestamp, key,
                           headers (as text) and value, instead of the value alone
  --brokers <list>         bootstrap brokers (default: KAFKA_BROKERS)
  --registry-url <url>     the registry (default: SCHEMA_REGISTRY_URL)

A record that cannot be decoded (unknown schema id, incompatible writer) stops the run with an error
naming its partition and offset. Progress goes to standard error on a terminal; a summary at the end.
Security settings come from the same environment variables as \`avrokit produce\` (docs/security.md).
Exit codes: 0 done (or interrupted), 1 a record could not be read or the cluster failed, 2 usage or input error.`;

const ENCODINGS: readonly JsonEncoding[] = ['natural', 'avro'];

function keyJson(binding: TopicBinding, key: unknown, encoding: JsonEncoding): unknown {
  if (key === null || key === undefined) return null;
  if (binding.key.kind === 'avro')
    return JSON.parse(toJson(binding.key.type as unknown as avro.Type, key, encoding));
  if (Buffer.isBuffer(key)) return key.toString('latin1');
  return typeof key === 'bigint' ? String(key) : key;
}

export const consumeCommand: Command = defineCommand({
  name: 'consume',
  summary: 'read a topic as typed Avro records, written out as JSON lines',
  usage,
  options: {
    topic: { type: 'string' },
    topics: { type: 'string' },
    group: { type: 'string' },
    'from-beginning': { type: 'boolean' },
    'max-records': { type: 'string' },
    'json-encoding': { type: 'string' },
    'print-metadata': { type: 'boolean' },
    brokers: { type: 'string' },
    'registry-url': { type: 'string' },
  },
  async run(values, positionals) {
    if (positionals.length === 0) throw new UsageError('give the schema files or folders');
    if (!values.topics || !values.topic)
      throw new UsageError('--topics <file> and --topic <topic> are required');
    const brokers = brokersFrom(values.brokers);
    const url = registryUrlFrom(values['registry-url']);
    const security = kafkaSecurityFrom();
    const registryOptions = registryOptionsFrom(url);
    const encoding = (values['json-encoding'] ?? 'natural') as JsonEncoding;
    if (!ENCODINGS.includes(encoding))
      throw new UsageError(`--json-encoding must be natural or avro, got ${encoding}`);
    let maxRecords = Infinity;
    if (values['max-records'] !== undefined) {
      maxRecords = Number(values['max-records']);
      if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) {
        throw new UsageError(`--max-records must be a positive integer, got ${values['max-records']}`);
      }
    }
    const topic = values.topic;
    const loaded = await loadSchemas(positionals);
    const specs = await readTopicMap(resolve(values.topics), loaded.entries);
    const spec = specs.find((s) => s.topic === topic);
    if (!spec) throw new UsageError(`topic ${topic} is not in ${values.topics}`);
    const binding = bindTopic(loaded, spec);
    const valueType = binding.value.type as unknown as avro.Type;

    const registry = new SchemaRegistry(registryOptions);
    const consumer: Consumer<TopicMapShape> = createConsumer<TopicMapShape>({
      brokers,
      ...security,
      registry,
      topics: { [topic]: binding } as Topics<TopicMapShape>,
      clientId: 'avrokit-consume',
      // As Java's console consumer: a throw-away group unless one is named, and then commits.
      groupId: values.group ?? `avrokit-consume-${randomBytes(6).toString('hex')}`,
      enableAutoCommit: values.group !== undefined,
      autoOffsetReset: values['from-beginning'] ? 'earliest' : 'latest',
    });
    const style = stderrStyle();
    const tty = process.stderr.isTTY === true;
    const started = Date.now();
    let count = 0;
    let failure: unknown;
    let interrupted = false;
    const stop = () => {
      interrupted = true;
      void consumer.close();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const progress = tty
      ? setInterval(
          () => process.stderr.write(`\r\x1b[2Kavrokit consume: ${count.toLocaleString('en')} records`),
          250,
        )
      : undefined;
    progress?.unref();
    try {
      await consumer.connect();
      await consumer.subscribe([topic]);
      if (maxRecords > 0) {
        for await (const record of consumer) {
          const value = record.value === null ? 'null' : toJson(valueType, record.value, encoding);
          let line = value;
          if (values['print-metadata']) {
            const headers = Object.fromEntries(
              Object.entries(record.headers).map(([k, v]) => [k, v.toString('utf8')]),
            );
            line = `{"topic":${JSON.stringify(record.topic)},"partition":${record.partition},"offset":${record.offset},"timestamp":${record.timestamp},"key":${JSON.stringify(keyJson(binding, record.key, encoding))},"headers":${JSON.stringify(headers)},"schemaId":${record.schemaId},"value":${value}}`;
          }
          if (!process.stdout.write(`${line}\n`)) {
            // Standard output is slow (a pipe to a slower reader): stop reading records until it drains.
            await new Promise((r) => process.stdout.once('drain', r));
          }
          count++;
          if (count >= maxRecords) break;
        }
      }
    } catch (err) {
      if (!interrupted) failure = err;
    } finally {
      if (progress) {
        clearInterval(progress);
        process.stderr.write('\r\x1b[2K');
      }
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await consumer.close().catch(() => {});
      registry.close();
    }
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(
      `${failure === undefined ? style.ok('✔') : style.fail('✖')} avrokit consume: ${count} record${count === 1 ? '' : 's'} from ${style.name(topic)} in ${seconds.toFixed(1)} s\n`,
    );
    if (failure !== undefined) {
      if (!isAvrokitError(failure)) throw failure;
      process.stderr.write(errorLine(failure));
      return 1;
    }
    return 0;
  },
});
