/**
 * The README's main job, end to end on a fresh machine: bring up the local stack (or use the cluster
 * KAFKA_BROKERS/SCHEMA_REGISTRY_URL name), register the example schema from schemas/ with avrokit's
 * SchemaRegistry and AvroSerde, send a Customer record to Kafka in the Confluent wire format, read it back, and stop what was started.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { AvroSerde, SchemaRegistry } from '../src/index.js';
import { stackDown, stackUp } from '../src/stack/index.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

const up = await stackUp();
say(
  up.outcome === 'external'
    ? `using the cluster from the environment: ${up.endpoints.brokers.join(',')} / ${up.endpoints.registryUrl}`
    : `local stack ${up.outcome}: Kafka ${up.versions?.kafka} at ${up.endpoints.brokers.join(',')}, ` +
        `Apicurio Registry ${up.versions?.registry} at ${up.endpoints.registryUrl}`,
);

const registry = new SchemaRegistry({ url: up.endpoints.registryUrl });
try {
  const topic = 'customers';
  const serde = new AvroSerde({ registry });
  const schema = readFileSync(new URL('../schemas/customer.avsc', import.meta.url), 'utf8');
  const customer = { id: 1, name: 'Precision Products', email: 'orders@precision.example' };
  const prepared = await serde.prepare(topic, schema);
  say(`registered schemas/customer.avsc as ${prepared.subject}, schema id ${prepared.schemaId}`);

  const kafka = new Kafka({
    clientId: 'avrokit-quickstart',
    brokers: up.endpoints.brokers,
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const [meta] = await producer.send({
    topic,
    acks: -1,
    messages: [{ key: 'France', value: prepared.serialize(customer) }],
  });
  await producer.disconnect();
  say(
    `sent ${JSON.stringify(customer)} to ${topic}, partition ${meta?.partition}, offset ${meta?.baseOffset}`,
  );

  const consumer = kafka.consumer({ groupId: `avrokit-quickstart-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const value = await new Promise<Buffer>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          if (message.value) resolve(message.value);
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  const decoded = await serde.deserialize(topic, value);
  say(`read back (schema id ${value.readUInt32BE(1)}): ${JSON.stringify(decoded)}`);
  say(`registry client: ${JSON.stringify(registry.stats())}`);
} finally {
  registry.close();
  if (up.outcome === 'started') {
    await stackDown();
    say('local stack stopped');
  }
}
