import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type avro from 'avsc';
import { loadSchemas, type LoadedSchemas } from '../schema/load.js';
import { readTopicMap, type TopicSpec } from '../schema/topic-map.js';
import { defineTopics, type TopicBinding, type TopicMapShape, type Topics } from '../schema/topics.js';
import { AvrokitError, InputError, InvalidRecordError, UsageError } from '../errors.js';
import { createProducer } from '../producer/producer.js';
import { COMPRESSIONS, isCompression, type Acks } from '../producer/settings.js';
import { SchemaRegistry } from '../registry/schema-registry.js';
import { valueIssues } from '../serde/errors.js';
import { encodeRawKey } from '../serde/raw-keys.js';
import { defineCommand, type Command } from './command.js';
import { brokersFrom, kafkaSecurityFrom, registryOptionsFrom, registryUrlFrom } from './environment.js';
import { fromNaturalJson, Mismatch, plainAvroType, type JsonEncoding } from './record-input.js';
import { standaloneSchema } from './schema-selection.js';
import { errorLine, stderrStyle } from './style.js';

const usage = `Usage: avrokit produce <schema files or folders...> --topics <file> --topic <topic> [options]

Reads JSON lines (one record value per line) from a file or standard input and sends them to <topic>
as typed Avro records, with the topic map's key and value types and the Confluent wire format.

  --topic <topic>          the topic (must be in the topic map)
  --topics <file>          the topic map (topic → key and value types)
  --input <file>           read from a file (default: standard input)
  --key-field <field>      take each record's key from this field of the value; without it every
                           record has a null key (as with Java's producer), and a topic whose map
                           declares a key gets a warning saying so
  --json-encoding natural|avro
                           natural (default): JSON as people write it —
                             {"id": 1, "price": "12.99", "at": "2026-03-01T09:30:00Z", "email": "a@b.c"}
                             decimals as text ("12.99") or numbers; timestamps as ISO-8601 text or epoch
                             milliseconds; uuids and dates ("2026-03-01") as text; longs as numbers or
                             strings of digits; unions as the bare value (or {"string": "a@b.c"})
                           avro: Avro's JSON encoding, as kafka-avro-console-producer takes it —
                             {"id": 1, "price": "\\u0005\\u0013", "at": 1772357400000, "email": {"string": "a@b.c"}}
                             unions as {"<branch>": value}; bytes, fixed and decimals as text of code points
                             0-255 (a decimal's two's-complement unscaled value); logical types as their
                             underlying type
  --skip-invalid           send the valid lines, report every invalid line (default: stop at the first)
  --brokers <list>         bootstrap brokers (default: KAFKA_BROKERS)
  --registry-url <url>     the registry (default: SCHEMA_REGISTRY_URL)
  --acks 0|1|all           (default all)   --compression none|gzip|snappy|lz4|zstd (default none)

A line that is not a valid record stops the run before anything after it is sent (records before it
are sent), naming the line and the field; with --skip-invalid it is reported and left out. Progress
goes to standard error: a line redrawn in place on a terminal, a line every 10,000 records otherwise,
and a summary at the end.
A secured cluster is configured by environment variables (see docs/security.md): KAFKA_CA_FILE or
KAFKA_TLS=1, KAFKA_CERT_FILE + KAFKA_KEY_FILE, KAFKA_SASL_MECHANISM (plain, scram-sha-256,
scram-sha-512) with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE);
SCHEMA_REGISTRY_CA_FILE, SCHEMA_REGISTRY_CERT_FILE + SCHEMA_REGISTRY_KEY_FILE,
SCHEMA_REGISTRY_USERNAME with SCHEMA_REGISTRY_PASSWORD (or SCHEMA_REGISTRY_PASSWORD_FILE).
Exit codes: 0 all sent, 1 an invalid line or a failed send, 2 usage or input error.`;

/** The topic's key and value as `defineTopics` binds them, from the loaded schemas and the topic map. */
export function bindTopic(loaded: LoadedSchemas, spec: TopicSpec): TopicBinding {
  const schemaOf = (name: string) => {
    const entry = loaded.entries.find((e) => e.key === name);
    if (!entry) throw new UsageError(`no type ${name}`);
    return standaloneSchema(loaded, entry);
  };
  const key =
    spec.key.kind === 'none' ? null : spec.key.kind === 'raw' ? spec.key.type : schemaOf(spec.key.name);
  return defineTopics({ [spec.topic]: { key, value: schemaOf(spec.value.name) } })[spec.topic]!;
}

const ENCODINGS: readonly JsonEncoding[] = ['natural', 'avro'];

/** Turns one line of input into the key and value to send, or throws a {@link Mismatch}. */
type LineReader = (line: string) => { key: unknown; value: unknown };

function lineReader(topic: string, b: TopicBinding, encoding: JsonEncoding, keyField?: string): LineReader {
  const valueType = b.value.type as unknown as avro.Type;
  const check = encoding === 'avro' ? plainAvroType(b.value.schema) : valueType;
  const keyType = b.key.kind === 'avro' ? (b.key.type as unknown as avro.Type) : undefined;
  const plainKeyType = b.key.kind === 'avro' && encoding === 'avro' ? plainAvroType(b.key.schema) : undefined;
  const read: LineReader = (line) => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      throw new Mismatch('', `not JSON (${(err as Error).message})`);
    }
    const converted = fromNaturalJson(check, json);
    let value = converted;
    if (encoding === 'avro') {
      try {
        value = valueType.fromString(line);
      } catch (err) {
        throw new Mismatch('', (err as Error).message);
      }
    }
    // What the serializer will check, checked now: a send that fails later would not stop the lines after it.
    const issues = valueIssues(valueType, value);
    if (issues.length > 0) throw new Mismatch(issues);
    if (keyField === undefined) return { key: undefined, value };
    const keyJson = (json as Record<string, unknown>)[keyField];
    const at = `${keyField} (the key)`;
    if (b.key.kind === 'raw') {
      // The value's field, as the key's JSON: a string key from a string field, a long from a number.
      const key =
        b.key.type === 'bytes'
          ? Buffer.from(String(keyJson), 'latin1')
          : (converted as Record<string, unknown>)[keyField];
      try {
        encodeRawKey(b.key.type, key, topic);
      } catch {
        throw new Mismatch(at, `expected ${b.key.type} for the topic's key`);
      }
      return { key, value };
    }
    if (keyType) {
      if (plainKeyType) {
        fromNaturalJson(plainKeyType, keyJson, at);
        return { key: keyType.fromString(JSON.stringify(keyJson)), value };
      }
      return { key: fromNaturalJson(keyType, keyJson, at), value };
    }
    return { key: undefined, value };
  };
  return (line) => {
    try {
      return read(line);
    } catch (err) {
      // JSON.parse reads any depth; checking a line nested deeper than the stack allows overflows it.
      if (err instanceof RangeError) throw new Mismatch('', `nested too deeply to check (${err.message})`);
      throw err;
    }
  };
}

/** Progress on standard error: redrawn in place on a terminal, a line per 10,000 records otherwise. */
class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(private readonly count: () => number) {}

  /** On a terminal: the first progress line now, then redrawn four times a second. */
  start(): void {
    if (!this.tty) return;
    this.draw();
    this.timer = setInterval(() => this.draw(), 250);
    this.timer.unref();
  }

  /** Called after each acknowledged record. */
  sent(total: number): void {
    if (!this.tty && total % 10_000 === 0) process.stderr.write(`avrokit produce: ${total} records sent\n`);
  }

  /** Text for a line that is not progress: on a terminal, the progress line is cleared first. */
  write(text: string): void {
    if (this.drawn) process.stderr.write('\r\x1b[2K');
    this.drawn = false;
    process.stderr.write(text);
  }

  seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.drawn) process.stderr.write('\r\x1b[2K');
    this.drawn = false;
  }

  private draw(): void {
    const seconds = this.seconds();
    const count = this.count();
    const rate = seconds > 0 ? Math.round(count / seconds) : 0;
    process.stderr.write(
      `\r\x1b[2Kavrokit produce: ${count.toLocaleString('en')} records, ${rate.toLocaleString('en')} records/s, ${seconds.toFixed(1)} s`,
    );
    this.drawn = true;
  }
}

export const produceCommand: Command = defineCommand({
  name: 'produce',
  summary: 'send JSON lines to a topic as typed Avro records',
  usage,
  options: {
    topic: { type: 'string' },
    topics: { type: 'string' },
    input: { type: 'string' },
    'key-field': { type: 'string' },
    'json-encoding': { type: 'string' },
    'skip-invalid': { type: 'boolean' },
    brokers: { type: 'string' },
    'registry-url': { type: 'string' },
    acks: { type: 'string' },
    compression: { type: 'string' },
  },
  async run(values, positionals) {
    if (positionals.length === 0) throw new UsageError('give the schema files or folders');
    if (!values.topics || !values.topic)
      throw new UsageError('--topics <file> and --topic <topic> are required');
    const brokers = brokersFrom(values.brokers);
    const url = registryUrlFrom(values['registry-url']);
    // Read now, so a missing CA or password file is a usage error before anything is loaded.
    const security = kafkaSecurityFrom();
    const registryOptions = registryOptionsFrom(url);
    if (values.acks !== undefined && !['0', '1', 'all'].includes(values.acks)) {
      throw new UsageError(`--acks must be 0, 1 or all, got ${values.acks}`);
    }
    if (values.compression !== undefined && !isCompression(values.compression)) {
      throw new UsageError(
        `--compression must be one of ${COMPRESSIONS.join(', ')}, got ${values.compression}`,
      );
    }
    const encoding = (values['json-encoding'] ?? 'natural') as JsonEncoding;
    if (!ENCODINGS.includes(encoding)) {
      throw new UsageError(`--json-encoding must be natural or avro, got ${encoding}`);
    }
    const acks: Acks | undefined =
      values.acks === undefined ? undefined : values.acks === 'all' ? 'all' : (Number(values.acks) as Acks);
    if (values.input !== undefined) {
      const file = values.input;
      const info = await stat(file).catch(() => undefined);
      if (!info) throw new InputError(`--input ${file}: no such file`, { file });
      if (info.isDirectory()) throw new InputError(`--input ${file} is a folder, not a file`, { file });
    }

    const topic = values.topic;
    const keyField = values['key-field'];
    const loaded = await loadSchemas(positionals);
    const specs = await readTopicMap(resolve(values.topics), loaded.entries);
    const spec = specs.find((s) => s.topic === topic);
    if (!spec) throw new UsageError(`topic ${topic} is not in ${values.topics}`);
    if (keyField !== undefined && spec.key.kind === 'none') {
      throw new UsageError(`topic ${topic} takes no key, but --key-field was given`);
    }
    const topicBinding = bindTopic(loaded, spec);
    if (keyField !== undefined) {
      const fields = (topicBinding.value.type as unknown as avro.types.RecordType).fields?.map((f) => f.name);
      if (!fields?.includes(keyField)) {
        throw new UsageError(
          `--key-field ${keyField}: ${topicBinding.value.name} has no such field` +
            (fields ? ` (its fields: ${fields.join(', ')})` : ''),
        );
      }
    }
    if (keyField === undefined && spec.key.kind !== 'none') {
      // As Java's producer does with a record that has no key: it is sent with a null key (and so
      // spread by the sticky partitioner). Said, because the map's key suggests keyed records.
      const declared = spec.key.kind === 'raw' ? spec.key.type : spec.key.name;
      process.stderr.write(
        `avrokit produce: ${topic} has a ${declared} key in ${values.topics}, but no --key-field was given: ` +
          `every record is sent with a null key, as Java's producer sends a record without one ` +
          `(spread over the partitions, not by key); pass --key-field <field> to key them\n`,
      );
    }
    const read = lineReader(topic, topicBinding, encoding, keyField);

    const registry = new SchemaRegistry(registryOptions);
    const producer = createProducer<TopicMapShape>({
      brokers,
      ...security,
      registry,
      topics: { [topic]: topicBinding } as Topics<TopicMapShape>,
      clientId: 'avrokit-produce',
      ...(acks !== undefined ? { acks } : {}),
      ...(values.compression && isCompression(values.compression) ? { compression: values.compression } : {}),
    });
    const style = stderrStyle();
    let sent = 0;
    const progress = new Progress(() => sent);
    let failure: unknown;
    const invalid: number[] = [];
    let lineNumber = 0;
    try {
      await producer.connect();
      progress.start();
      const lines = createInterface({
        input: values.input ? createReadStream(values.input) : process.stdin,
        crlfDelay: Infinity,
      });
      // Reading waits while the producer's buffer is full (its back-pressure), so a large input is
      // streamed, not held in memory.
      let unacknowledged = 0;
      const settled = () => unacknowledged--;
      for await (const line of lines) {
        lineNumber++;
        if (line.trim() === '') continue;
        let record: { key: unknown; value: unknown };
        try {
          // Checked here, before the send, so that nothing after an invalid line is sent.
          record = read(line);
        } catch (err) {
          if (!(err instanceof Mismatch)) throw err;
          const error = new InvalidRecordError(
            `line ${lineNumber} is not a valid ${topicBinding.value.name}: ${err.message}`,
            { line: lineNumber, path: err.path, topic },
          );
          if (!values['skip-invalid']) {
            failure = error;
            break;
          }
          invalid.push(lineNumber);
          progress.write(errorLine(error, 'avrokit produce'));
          continue;
        }
        const at = lineNumber;
        unacknowledged++;
        producer.send(topic, record).then(
          () => {
            sent++;
            progress.sent(sent);
            settled();
          },
          (err: unknown) => {
            failure ??= new LineFailure(at, err);
            settled();
          },
        );
        if (producer.needsDrain) await producer.drained();
        if (failure) break;
      }
      await producer.flush();
      // Failures are reported a turn after flush sees their batches done.
      while (unacknowledged > 0) await new Promise((r) => setImmediate(r));
    } finally {
      progress.stop();
      await producer.close().catch(() => {});
      registry.close();
    }
    const seconds = progress.seconds();
    const rate = seconds > 0 ? `, ${Math.round(sent / seconds)} records/s` : '';
    const ok = failure === undefined && invalid.length === 0;
    process.stderr.write(
      `${ok ? style.ok('✔') : style.fail('✖')} avrokit produce: ${sent} record${sent === 1 ? '' : 's'} sent to ${style.name(topic)} in ${seconds.toFixed(1)} s${rate}\n`,
    );
    if (invalid.length > 0) {
      process.stderr.write(
        `avrokit produce: ${invalid.length} invalid line${invalid.length === 1 ? '' : 's'} skipped: ${invalid.join(', ')}\n`,
      );
    }
    if (failure !== undefined) {
      process.stderr.write(errorLine(failure));
      if (failure instanceof InvalidRecordError) {
        process.stderr.write(`nothing after line ${lineNumber} was sent\n`);
      }
    }
    return ok ? 0 : 1;
  },
});

/** A send that failed, with the input line it came from. */
class LineFailure extends Error {
  constructor(line: number, cause: unknown) {
    const code = cause instanceof AvrokitError ? ` [${cause.code}]` : '';
    super(`line ${line}: ${cause instanceof Error ? cause.message : String(cause)}${code}`, { cause });
  }
}
