/**
 * Type-level tests: compiled by `tsc --noEmit` in `npm test`, never run. Each `@ts-expect-error`
 * fails the build if the line below it ever starts to compile.
 */
import {
  AvroSerde,
  createAvroType,
  SchemaRegistry,
  type CompatibilityLevel,
  type RegistryStats,
  type SchemaInput,
} from '../../src/index.js';

const registry = new SchemaRegistry({
  url: 'http://127.0.0.1:18081/apis/ccompat/v7',
  auth: { bearer: async () => 'token' },
});

// @ts-expect-error a registry needs a URL
new SchemaRegistry({});
// @ts-expect-error auth is basic or bearer, not anything else
new SchemaRegistry({ url: 'http://r', auth: { apiKey: 'k' } });
// @ts-expect-error a bearer provider returns the token
new SchemaRegistry({ url: 'http://r', auth: { bearer: () => 42 } });

export async function compatibilityLevels(): Promise<CompatibilityLevel> {
  // @ts-expect-error only the registry's levels exist
  await registry.setCompatibility('SIDEWAYS', 'customers-value');
  return registry.setCompatibility('FULL_TRANSITIVE', 'customers-value');
}

export const stats: RegistryStats = registry.stats();
// @ts-expect-error stats are read-only
stats.httpRequests = 0;

// @ts-expect-error an AvroSerde needs a registry
new AvroSerde({});
// @ts-expect-error a subject strategy is one of the named ones or a function
new AvroSerde({ registry, subjectStrategy: 'TopicNames' });
new AvroSerde({ registry, subjectStrategy: ({ topic, isKey }) => `${topic}.${isKey ? 'k' : 'v'}` });

export async function serdeCalls(serde: AvroSerde): Promise<Buffer> {
  // @ts-expect-error serialize needs the schema it writes with
  await serde.serialize('customers', { id: 1 }, {});
  // @ts-expect-error framing is 'confluent' or 'none'
  await serde.serialize('customers', 'k', { schema: 'string', framing: 'raw' });
  // @ts-expect-error a schema given as text or JSON has no TypeScript type to choose: no caller's guess
  await serde.prepare<{ id: number }>('customers', '"string"');
  const idType = createAvroType<{ id: number }>({
    type: 'record',
    name: 'Id',
    fields: [{ name: 'id', type: 'int' }],
  });
  const prepared = await serde.prepare('customers', idType);
  // @ts-expect-error a prepared serializer takes its type's values
  prepared.serialize({ id: 'one' });
  // @ts-expect-error serialize with a built type takes that type's values
  await serde.serialize('customers', { id: 'one' }, { schema: idType });
  const read = await serde.deserialize('customers', Buffer.alloc(0), { readerSchema: idType });
  // @ts-expect-error deserialize with a built reader type gives that type
  read.id.toUpperCase();
  const untyped = await serde.deserialize('customers', Buffer.alloc(0));
  // @ts-expect-error without a reader type the value is unknown
  void untyped.id;
  return prepared.serialize({ id: 1 });
}

/** A schema known only as a `SchemaInput` (a built type or JSON, the compiler cannot tell) takes any value. */
export async function anySchema(serde: AvroSerde, schema: SchemaInput): Promise<Buffer> {
  const prepared = await serde.prepare('customers', schema);
  prepared.serialize({ anything: true });
  return serde.serialize('customers', { anything: true }, { schema });
}
