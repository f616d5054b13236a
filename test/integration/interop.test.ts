/**
 * Bytes written by avrokit are read by the two JavaScript libraries users would otherwise pick, and the
 * other way round, all against the same real registry.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { SchemaRegistry as KafkajsRegistry } from '@kafkajs/confluent-schema-registry';
import {
  AvroDeserializer,
  AvroSerializer,
  SchemaRegistryClient,
  SerdeType,
} from '@confluentinc/schemaregistry';
import { AvroSerde, SchemaRegistry } from '../../src/index.js';
import { testCluster, uniqueName } from '../support/cluster.js';

const cluster = testCluster();
const registry = new SchemaRegistry({ url: cluster.registryUrl });
after(() => registry.close());
const schemaText = readFileSync(new URL('../../schemas/customer.avsc', import.meta.url), 'utf8');
const customer = { id: 12, name: 'Interop Ltd', email: 'ops@interop.example' };

const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

test('@kafkajs/confluent-schema-registry reads what avrokit writes, and avrokit reads what it writes', async () => {
  const topic = uniqueName('interop-kafkajs');
  const serde = new AvroSerde({ registry });
  const theirs = new KafkajsRegistry({ host: cluster.registryUrl });

  const ours = await serde.serialize(topic, customer, { schema: schemaText });
  assert.deepEqual(plain(await theirs.decode(ours)), customer);

  const id = await registry.register(`${topic}-value`, schemaText);
  const written = await theirs.encode(id, customer);
  assert.deepEqual(plain(await serde.deserialize(topic, written)), customer);
  assert.deepEqual(written, ours, 'the same bytes for the same record and schema id');
});

test('@confluentinc/schemaregistry reads what avrokit writes, and avrokit reads what it writes', async () => {
  const topic = uniqueName('interop-confluent');
  const serde = new AvroSerde({ registry });
  const client = new SchemaRegistryClient({ baseURLs: [cluster.registryUrl] });
  const deserializer = new AvroDeserializer(client, SerdeType.VALUE, {});
  const serializer = new AvroSerializer(client, SerdeType.VALUE, {
    useLatestVersion: true,
    autoRegisterSchemas: false,
  });

  const ours = await serde.serialize(topic, customer, { schema: schemaText });
  assert.deepEqual(plain(await deserializer.deserialize(topic, ours)), customer);

  const written = await serializer.serialize(topic, customer);
  assert.deepEqual(plain(await serde.deserialize(topic, written)), customer);
  assert.deepEqual(written, ours, 'the same bytes for the same record and schema id');
});
