/**
 * The README's main job, end to end on a fresh machine: bring up the local stack (or use the cluster
 * KAFKA_BROKERS/SCHEMA_REGISTRY_URL name), register the example schema from schemas/, send a Customer
 * record to Kafka in the Confluent wire format, read it back, and stop what was started.
 */
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { stackDown, stackUp } from '../src/stack/index.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

const up = await stackUp();
say(
  up.outcome === 'external'
    ? `using the cluster from the environment: ${up.endpoints.brokers.join(',')} / ${up.endpoints.registryUrl}`
    : `local stack ${up.outcome}: Kafka ${up.versions?.kafka} at ${up.endpoints.brokers.join(',')}, ` +
        `Apicurio Registry ${up.versions?.registry} at ${up.endpoints.registryUrl}`,
);

try {
  const topic = 'customers';
  const schemaText = readFileSync(new URL('../schemas/customer.avsc', import.meta.url), 'utf8');
  const response = await fetch(`${up.endpoints.registryUrl}/subjects/${topic}-value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: schemaText }),
  });
  const registered = (await response.json()) as { id?: number; message?: string };
  if (!response.ok || registered.id === undefined) {
    throw new Error(`registering ${topic}-value failed (HTTP ${response.status}): ${registered.message}`);
  }
  say(`registered schemas/customer.avsc as ${topic}-value, schema id ${registered.id}`);

  const type = avro.Type.forSchema(JSON.parse(schemaText) as avro.Schema);
  const customer = { id: 1, name: 'Precision Products', email: 'orders@precision.example' };
  const header = Buffer.alloc(5);
  header.writeUInt32BE(registered.id, 1);

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
    messages: [{ key: 'France', value: Buffer.concat([header, type.toBuffer(customer)]) }],
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
  const decoded: unknown = type.fromBuffer(value.subarray(5));
  say(`read back (schema id ${value.readUInt32BE(1)}): ${JSON.stringify(decoded)}`);
} finally {
  if (up.outcome === 'started') {
    await stackDown();
    say('local stack stopped');
  }
}
