/**
 * Type-level tests of the transactional producer: compiled by `tsc --noEmit` in `npm test`, never run.
 * A producer made with a transactionalId has Java's transaction calls; one without has none; records
 * sent in `transaction(fn)` are checked as `send`'s are.
 */
import { topics, type CustomerInput } from '../../schemas/generated/index.js';
import { createConsumer, createProducer, SchemaRegistry } from '../../src/index.js';

const registry = new SchemaRegistry({ url: 'http://127.0.0.1:18081/apis/ccompat/v7' });
const brokers = ['127.0.0.1:19092'];
const customer: CustomerInput = { id: 1, name: 'Precision Products' };

export async function transactional(): Promise<number> {
  const tx = createProducer({ brokers, registry, topics, transactionalId: 'payments-1' });
  const consumer = createConsumer({ brokers, registry, topics, groupId: 'g', enableAutoCommit: false });
  tx.beginTransaction();
  await tx.send('customers', { key: 'k', value: customer });
  await tx.sendOffsetsToTransaction(
    [{ topic: 'customers', partition: 0, offset: 1 }],
    consumer.groupMetadata(),
  );
  await tx.commitTransaction();
  const answer: number = await tx.transaction(async (t) => {
    t.send('customers', { key: 'k', value: customer }, () => {});
    await t.sendOffsets(consumer);
    // @ts-expect-error a Customer needs a name, in a transaction as anywhere
    t.send('customers', { key: 'k', value: { id: 1 } }, () => {});
    // @ts-expect-error a topic that is not in the map
    await t.send('customer', { key: 'k', value: customer });
    return 42;
  });
  // @ts-expect-error sendOffsets takes a consumer, or offsets with the group's metadata
  await tx.transaction((t) => t.sendOffsets([{ topic: 'customers', partition: 0, offset: 1 }]));

  const plain = createProducer({ brokers, registry, topics });
  // @ts-expect-error a producer without a transactionalId has no transactions
  plain.beginTransaction();
  // @ts-expect-error nor transaction(fn)
  await plain.transaction(() => 1);
  return answer;
}
