/**
 * Proves the ground is real before anything is built on it: a schema registered over the registry's
 * HTTP API, a Confluent-framed Avro record produced with plain kafkajs, and the same record consumed
 * and decoded again through the schema the registry returns for the id in the frame.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import avro from 'avsc';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createTopicEverywhere, testCluster, uniqueName } from '../support/cluster.js';

const cluster = testCluster();
const kafka = new Kafka({
  clientId: 'avrokit-ground-truth',
  brokers: cluster.brokers,
  logLevel: logLevel.NOTHING,
});
const customerSchema = readFileSync(new URL('../../schemas/customer.avsc', import.meta.url), 'utf8');
const admin = kafka.admin();

before(() => admin.connect());
after(() => admin.disconnect());

async function registry(path: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(`${cluster.registryUrl}${path}`, {
    ...init,
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
  });
  const body: unknown = await response.json();
  assert.equal(
    response.status,
    200,
    `${init?.method ?? 'GET'} ${path} answered ${response.status}: ${JSON.stringify(body)}`,
  );
  return body;
}

test('the broker answers metadata requests with a live controller', async () => {
  const description = await admin.describeCluster();
  assert.equal(description.brokers.length, 1);
  assert.notEqual(description.controller, null);
});

test('a record framed with a registered schema id goes through Kafka and decodes again', async () => {
  const topic = uniqueName('ground-truth');
  const registered = (await registry(`/subjects/${topic}-value/versions`, {
    method: 'POST',
    body: JSON.stringify({ schema: customerSchema }),
  })) as { id: number };
  assert.ok(Number.isInteger(registered.id) && registered.id > 0, `schema id ${registered.id}`);

  const customer = { id: 42, name: 'Precision Products', email: 'orders@precision.example' };
  const type = avro.Type.forSchema(JSON.parse(customerSchema) as avro.Schema);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(registered.id, 1);
  const framed = Buffer.concat([header, type.toBuffer(customer)]);

  await createTopicEverywhere(kafka, admin, { topic, numPartitions: 1 });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const [written] = await producer.send({ topic, acks: -1, messages: [{ key: 'France', value: framed }] });
  await producer.disconnect();
  assert.equal(written?.errorCode, 0);

  const consumer = kafka.consumer({ groupId: uniqueName('ground-truth-group') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received = await new Promise<Buffer>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          if (message.value) resolve(message.value);
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();

  assert.equal(received[0], 0, 'magic byte');
  const id = received.readUInt32BE(1);
  assert.equal(id, registered.id);
  const writer = (await registry(`/schemas/ids/${id}`)) as { schema: string };
  const decoded: unknown = avro.Type.forSchema(JSON.parse(writer.schema) as avro.Schema).fromBuffer(
    received.subarray(5),
  );
  assert.deepEqual(JSON.parse(JSON.stringify(decoded)), customer);
});
