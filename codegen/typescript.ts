import avro from 'avsc';
import type { EntryNames } from './naming.js';

/** `value`: what a reader gets (every field present). `input`: what a producer may write. */
export type TypeMode = 'value' | 'input';

/** TypeScript for each logical type avrokit represents (see src/avro/logical-types.ts). */
const LOGICAL_TS: Readonly<Record<string, string>> = {
  'logical:timestamp-millis': 'Date',
  'logical:local-timestamp-millis': 'Date',
  'logical:date': 'string',
  'logical:time-millis': 'number',
  'logical:uuid': 'string',
  'logical:decimal': 'string',
};

const PRIMITIVE_TS: Readonly<Record<string, string>> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  'abstract:long': 'bigint',
  float: 'number',
  double: 'number',
  string: 'string',
  bytes: 'Buffer',
  fixed: 'Buffer',
};

/**
 * Writes TypeScript type expressions by walking the avsc `Type` that will read and write the values,
 * not the schema JSON: whether a union is wrapped, whether a logical type applied (an invalid decimal
 * falls back to bytes) and how longs are represented are all decided by avsc, so the types follow it.
 */
export class TypeWriter {
  /** Generated names referred to (name → full name of its type), so the caller can import them. */
  readonly used = new Map<string, string>();
  /** Whether the runtime's `AvroUnion` type is needed. */
  usesUnion = false;

  constructor(private readonly names: ReadonlyMap<string, EntryNames>) {}

  write(type: avro.Type, mode: TypeMode): string {
    const typeName = type.typeName;
    const logical = LOGICAL_TS[typeName];
    if (logical !== undefined) return logical;
    if (type instanceof avro.types.LogicalType) return this.write(type.underlyingType, mode);
    if (type instanceof avro.types.RecordType || type instanceof avro.types.EnumType) {
      const fullName = type.name;
      const names = fullName === undefined ? undefined : this.names.get(fullName);
      if (!fullName || !names) throw new Error(`no generated name for ${fullName ?? typeName}`);
      const name = mode === 'input' && type instanceof avro.types.RecordType ? names.input : names.value;
      this.used.set(name, fullName);
      return name;
    }
    if (type instanceof avro.types.ArrayType) return `${this.element(type.itemsType, mode)}[]`;
    if (type instanceof avro.types.MapType) return `Record<string, ${this.write(type.valuesType, mode)}>`;
    if (type instanceof avro.types.WrappedUnionType) {
      // AvroUnion makes every other branch key `never`, so an object naming two branches does not compile.
      this.usesUnion = true;
      const branches = type.types
        .filter((branch) => branch.typeName !== 'null')
        .map(
          (branch) => `${JSON.stringify(branch.branchName ?? branch.typeName)}: ${this.write(branch, mode)}`,
        );
      const nullable = type.types.some((branch) => branch.typeName === 'null');
      return `AvroUnion<{ ${branches.join('; ')} }>${nullable ? ' | null' : ''}`;
    }
    if (type instanceof avro.types.UnwrappedUnionType) {
      return unique(type.types.map((branch) => this.write(branch, mode))).join(' | ');
    }
    const primitive = PRIMITIVE_TS[typeName];
    if (primitive === undefined) throw new Error(`no TypeScript type for Avro type ${typeName}`);
    return primitive;
  }

  private element(type: avro.Type, mode: TypeMode): string {
    const text = this.write(type, mode);
    return /^[\w.]+$/.test(text) ? text : `(${text})`;
  }
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/** A TSDoc block (or nothing), indented; `*\/` inside the text cannot end the comment early. */
export function tsDoc(lines: readonly string[], indent = ''): string {
  const body = lines
    .flatMap((line) => line.split(/\r?\n/))
    .map((line) => line.replace(/\*\//g, '*\\/').trimEnd());
  while (body.length > 0 && body[body.length - 1] === '') body.pop();
  if (body.length === 0) return '';
  if (body.length === 1) return `${indent}/** ${body[0]} */\n`;
  return `${indent}/**\n${body.map((line) => `${indent} *${line ? ` ${line}` : ''}`).join('\n')}\n${indent} */\n`;
}
