/**
 * Generated code with the serde against the real registry: what is registered is the generated
 * schema itself, and what a consumer reads has the generated types' representation.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { avroSchemas, avroTypes, type OrderInput } from '../../schemas/generated/index.js';
import { AvroSerde, SchemaRegistry } from '../../src/index.js';
import { testCluster, uniqueName } from '../support/cluster.js';

const cluster = testCluster();
const registry = new SchemaRegistry({ url: cluster.registryUrl });
after(() => registry.close());

const order: OrderInput = {
  id: '123e4567-e89b-12d3-a456-426614174000',
  customerId: 7,
  placedAt: new Date(Date.UTC(2026, 10, 25, 9, 30)),
  lines: [{ sku: 'A', quantity: 3, unitPrice: '0.10' }],
  total: '0.30',
  shipTo: { street: 's', city: 'c', postcode: 'p' },
  billTo: { company: 'Acme', street: 's', city: 'c' },
  payment: { 'com.example.shop.BankTransfer': { iban: 'FR7630006000011234567890189' } },
  deliveryDate: '2026-12-24',
};

test('a generated Type registers its generated schema, unchanged', async () => {
  const serde = new AvroSerde({ registry });
  const topic = uniqueName('generated');
  const prepared = await serde.prepare(topic, avroTypes['com.example.shop.Order']);
  const registered = await registry.getSchemaById(prepared.schemaId);
  assert.deepEqual(JSON.parse(registered.schema), avroSchemas['com.example.shop.Order']);
});

test('records written from generated types read back in the generated representation, with or without a reader schema', async () => {
  const serde = new AvroSerde({ registry });
  const topic = uniqueName('generated');
  const bytes = await serde.serialize(topic, order, { schema: avroTypes['com.example.shop.Order'] });
  const expected = {
    ...order,
    status: 'PLACED',
    shipTo: { ...order.shipTo, country: 'FR' },
    billTo: { ...order.billTo, vatId: null },
    tags: {},
  };
  const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
  const withReader = await serde.deserialize(topic, bytes, {
    readerSchema: avroTypes['com.example.shop.Order'],
  });
  assert.deepEqual(plain(withReader), plain(expected));
  // A fresh serde knows nothing but the id in the frame; the writer schema comes from the registry.
  const fresh = new AvroSerde({ registry: new SchemaRegistry({ url: cluster.registryUrl }) });
  const read = (await fresh.deserialize(topic, bytes)) as { placedAt: unknown; total: unknown };
  assert.ok(read.placedAt instanceof Date);
  assert.equal(read.total, '0.30');
  assert.deepEqual(plain(read), plain(expected));
});

test('a value the generated type would reject at compile time is refused at run time, naming the field', async () => {
  const serde = new AvroSerde({ registry });
  const topic = uniqueName('generated');
  const tooPrecise = { ...order, total: '0.305' };
  await assert.rejects(serde.serialize(topic, tooPrecise, { schema: avroTypes['com.example.shop.Order'] }), {
    code: 'SERDE_INVALID_VALUE',
    message: /total/,
  });
});
