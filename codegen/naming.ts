import type { SchemaEntry } from '../src/schema/load.js';

/**
 * Names that cannot be a generated type or constant: JavaScript/TypeScript reserved words, TypeScript's
 * built-in type names, and the globals and avrokit names generated code refers to.
 */
const RESERVED = new Set([
  ...'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with implements interface let package private protected public static yield await as async from of satisfies declare keyof infer is asserts readonly unique type namespace module global require'.split(
    ' ',
  ),
  ...'any unknown never object string number boolean symbol bigint undefined'.split(' '),
  ...'Array Buffer Date Record Object String Number Boolean Symbol BigInt Error Map Set Promise Partial Readonly'.split(
    ' ',
  ),
  ...'AvroSchemaJson AvroUnion AvroType AvroValueSettings createAvroType Topics AvroTypes AvroInputs avroTypes avroSchemas avroValueSettings TopicMap topics'.split(
    ' ',
  ),
]);

/** The TypeScript names generated for one entry. */
export interface EntryNames {
  /** The value type (what a reader gets). */
  readonly value: string;
  /** The input type (what a producer writes; fields with defaults optional). */
  readonly input: string;
  /** The constant holding the type's own schema (named types it uses appear by full name). */
  readonly definition: string;
}

function pascal(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  return /^[0-9]/.test(joined) ? `_${joined}` : joined || '_';
}

/**
 * The naming rule, which only depends on the set of types generated together:
 * - a named type is called by its simple name (`Address`) when no other type generated with it has
 *   that simple name; otherwise every type sharing the simple name is called by its full name in
 *   PascalCase (`com.acme.billing.Address` → `ComAcmeBillingAddress`, `com.acme.shipping.Address`
 *   → `ComAcmeShippingAddress`);
 * - an unnamed top-level schema is called by its file name in PascalCase;
 * - a name that is reserved in TypeScript or used by the generated code gets a trailing `_` (`Date_`);
 * - any clash left after that (including with the `…Input`/`…Definition` companions) is settled by a
 *   numeric suffix, in the order of full names.
 * Every type is also reachable without these names, by full name: `AvroTypes['com.acme.billing.Address']`.
 */
export function allocateNames(entries: readonly SchemaEntry[]): Map<string, EntryNames> {
  const simpleCount = new Map<string, number>();
  const simpleOf = (key: string) => key.slice(key.lastIndexOf('.') + 1);
  for (const entry of entries) {
    if (entry.kind === 'anonymous') continue;
    simpleCount.set(simpleOf(entry.key), (simpleCount.get(simpleOf(entry.key)) ?? 0) + 1);
  }
  const taken = new Set<string>();
  const names = new Map<string, EntryNames>();
  for (const entry of [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    let base =
      entry.kind === 'anonymous'
        ? pascal(entry.key)
        : simpleCount.get(simpleOf(entry.key)) === 1
          ? simpleOf(entry.key)
          : pascal(entry.key);
    if (RESERVED.has(base)) base = `${base}_`;
    const companions = (b: string) => [b, `${b}Input`, `${b}Definition`];
    let candidate = base;
    for (let n = 2; companions(candidate).some((c) => taken.has(c) || RESERVED.has(c)); n++) {
      candidate = `${base}_${n}`;
    }
    for (const c of companions(candidate)) taken.add(c);
    names.set(entry.key, {
      value: candidate,
      input: `${candidate}Input`,
      definition: `${candidate}Definition`,
    });
  }
  return names;
}
