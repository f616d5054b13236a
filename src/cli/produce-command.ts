import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { loadSchemas, type LoadedSchemas } from '../../codegen/load.js';
import { readTopicMap, type TopicSpec } from '../../codegen/topics.js';
import { createAvroType } from '../avro/avro-type.js';
import type { AvroBinding, TopicBinding, TopicMapShape, Topics } from '../avro/topics.js';
import { AvrokitError, UsageError } from '../errors.js';
import { createProducer } from '../producer/producer.js';
import type { Acks, Compression } from '../producer/settings.js';
import { SchemaRegistry } from '../registry/schema-registry.js';
import { defineCommand, type Command } from './command.js';
import { standaloneSchema } from './schema-selection.js';

const usage = `Usage: avrokit produce <schema files or folders...> --topics <file> --topic <topic> [options]

Reads JSON lines (one record value per line, in Avro's JSON encoding — as kafka-avro-console-producer
takes them: unions as {"type": value}) from a file or standard input and sends them to <topic> as typed
Avro records, with the topic map's key and value types and the Confluent wire format.

  --topic <topic>          the topic (must be in the topic map)
  --topics <file>          the topic map (topic → key and value types)
  --input <file>           read from a file (default: standard input)
  --key-field <field>      take each record's key from this field of the value
  --brokers <list>         bootstrap brokers (default: KAFKA_BROKERS)
  --registry-url <url>     the registry (default: SCHEMA_REGISTRY_URL)
  --acks 0|1|all           (default all)   --compression none|gzip|snappy|lz4|zstd (default none)

Stops at the first line that is not a valid record, naming it; records before it are sent.
Exit codes: 0 all sent, 1 a record failed, 2 usage or input error.`;

function binding(loaded: LoadedSchemas, name: string): AvroBinding {
  const entry = loaded.entries.find((e) => e.key === name);
  if (!entry) throw new UsageError(`no type ${name}`);
  const schema = standaloneSchema(loaded, entry);
  return { kind: 'avro', name, schema, type: createAvroType(schema) };
}

function bindTopic(loaded: LoadedSchemas, spec: TopicSpec): TopicBinding {
  return {
    key: spec.key.kind === 'avro' ? binding(loaded, spec.key.name) : spec.key,
    value: binding(loaded, spec.value.name),
  };
}

const MAX_UNACKNOWLEDGED = 50_000;

export const produceCommand: Command = defineCommand({
  name: 'produce',
  summary: 'send JSON lines to a topic as typed Avro records',
  usage,
  options: {
    topic: { type: 'string' },
    topics: { type: 'string' },
    input: { type: 'string' },
    'key-field': { type: 'string' },
    brokers: { type: 'string' },
    'registry-url': { type: 'string' },
    acks: { type: 'string' },
    compression: { type: 'string' },
  },
  async run(values, positionals) {
    if (positionals.length === 0) throw new UsageError('give the schema files or folders');
    if (!values.topics || !values.topic)
      throw new UsageError('--topics <file> and --topic <topic> are required');
    const brokers = (values.brokers ?? process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
    const url = values['registry-url'] ?? process.env.SCHEMA_REGISTRY_URL;
    if (brokers.length === 0) throw new UsageError('give the brokers with --brokers or KAFKA_BROKERS');
    if (!url) throw new UsageError('give the registry with --registry-url or SCHEMA_REGISTRY_URL');
    if (values.acks !== undefined && !['0', '1', 'all'].includes(values.acks)) {
      throw new UsageError(`--acks must be 0, 1 or all, got ${values.acks}`);
    }
    const compressions = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
    if (values.compression !== undefined && !compressions.includes(values.compression)) {
      throw new UsageError(
        `--compression must be one of ${compressions.join(', ')}, got ${values.compression}`,
      );
    }
    const acks: Acks | undefined =
      values.acks === undefined ? undefined : values.acks === 'all' ? 'all' : (Number(values.acks) as Acks);

    let topicBinding: TopicBinding;
    try {
      const loaded = await loadSchemas(positionals);
      const specs = await readTopicMap(resolve(values.topics), loaded.entries);
      const spec = specs.find((s) => s.topic === values.topic);
      if (!spec) throw new UsageError(`topic ${values.topic} is not in ${values.topics}`);
      if (values['key-field'] && spec.key.kind === 'none') {
        throw new UsageError(`topic ${values.topic} takes no key, but --key-field was given`);
      }
      topicBinding = bindTopic(loaded, spec);
    } catch (err) {
      if (err instanceof AvrokitError && !(err instanceof UsageError)) {
        process.stderr.write(`avrokit: ${err.message} [${err.code}]\n`);
        return 2;
      }
      throw err;
    }

    const topic = values.topic;
    const registry = new SchemaRegistry({ url });
    const producer = createProducer<TopicMapShape>({
      brokers,
      registry,
      topics: { [topic]: topicBinding } as Topics<TopicMapShape>,
      clientId: 'avrokit-produce',
      ...(acks !== undefined ? { acks } : {}),
      ...(values.compression ? { compression: values.compression as Compression } : {}),
    });
    const started = Date.now();
    let sent = 0;
    let failure: unknown;
    let lineNumber = 0;
    try {
      await producer.connect();
      const lines = createInterface({
        input: values.input ? createReadStream(values.input) : process.stdin,
        crlfDelay: Infinity,
      });
      // Reading pauses while MAX_UNACKNOWLEDGED records await their acknowledgement, so a large input
      // is streamed, not held in memory.
      let unacknowledged = 0;
      let resume: (() => void) | undefined;
      const settled = () => {
        unacknowledged--;
        if (resume && unacknowledged <= MAX_UNACKNOWLEDGED / 2) {
          resume();
          resume = undefined;
        }
      };
      for await (const line of lines) {
        lineNumber++;
        if (line.trim() === '') continue;
        let value: unknown;
        try {
          value = topicBinding.value.type.fromString(line);
        } catch (err) {
          failure = new UsageError(
            `line ${lineNumber} is not a valid ${topicBinding.value.name}: ${(err as Error).message}`,
          );
          break;
        }
        const key = values['key-field'] ? (value as Record<string, unknown>)[values['key-field']] : undefined;
        const at = lineNumber;
        unacknowledged++;
        producer.send(topic, { key, value }).then(
          () => {
            sent++;
            if (sent % 10_000 === 0) process.stderr.write(`avrokit produce: ${sent} records sent\n`);
            settled();
          },
          (err: unknown) => {
            failure ??= new LineFailure(at, err);
            settled();
          },
        );
        if (unacknowledged >= MAX_UNACKNOWLEDGED) await new Promise<void>((r) => (resume = r));
        if (failure) break;
      }
      await producer.flush();
      // Failures are reported a turn after flush sees their batches done.
      while (unacknowledged > 0) await new Promise((r) => setImmediate(r));
    } finally {
      await producer.close().catch(() => {});
      registry.close();
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(`avrokit produce: ${sent} records sent to ${topic} in ${seconds} s\n`);
    if (failure instanceof UsageError) {
      process.stderr.write(`avrokit: ${failure.message} [${failure.code}]\n`);
      return 2;
    }
    if (failure) {
      process.stderr.write(`avrokit: ${(failure as Error).message}\n`);
      return 1;
    }
    return 0;
  },
});

/** A send that failed, with the input line it came from. */
class LineFailure extends Error {
  constructor(line: number, cause: unknown) {
    const code = cause instanceof AvrokitError ? ` [${cause.code}]` : '';
    super(`line ${line}: ${cause instanceof Error ? cause.message : String(cause)}${code}`, { cause });
  }
}
