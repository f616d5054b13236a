import avro from 'avsc';
import { DecimalType } from '../avro/logical-types.js';
import { buildType } from '../schema/build.js';
import type { SchemaInput } from '../schema/schema-input.js';

/** The kinds of incompatibility Apache Avro's Java `SchemaCompatibility` reports. */
export type IncompatibilityKind =
  | 'NAME_MISMATCH'
  | 'FIXED_SIZE_MISMATCH'
  | 'MISSING_ENUM_SYMBOLS'
  | 'READER_FIELD_MISSING_DEFAULT_VALUE'
  | 'TYPE_MISMATCH'
  | 'MISSING_UNION_BRANCH';

export interface Incompatibility {
  readonly kind: IncompatibilityKind;
  /** Where, as Java reports it: a JSON pointer (`/fields/1/type/items`); union steps are branch indexes. */
  readonly path: string;
  /** Java's message (`reader type: INT not compatible with writer type: STRING`, `[Y]` for missing symbols, …). */
  readonly message: string;
  /** The reader's and writer's schema at that point (named types inside it by name). */
  readonly reader: unknown;
  readonly writer: unknown;
}

/** Beyond Java: changes that read without error but may not mean what they did. */
export interface CompatibilityWarning {
  readonly kind: 'DECIMAL_PRECISION_CHANGED' | 'DECIMAL_SCALE_CHANGED';
  readonly path: string;
  readonly message: string;
}

export interface CompatibilityResult {
  readonly compatible: boolean;
  readonly incompatibilities: readonly Incompatibility[];
  readonly warnings: readonly CompatibilityWarning[];
}

type Location = readonly string[];

const JAVA_TYPE: Readonly<Record<string, string>> = {
  null: 'NULL',
  boolean: 'BOOLEAN',
  int: 'INT',
  long: 'LONG',
  float: 'FLOAT',
  double: 'DOUBLE',
  bytes: 'BYTES',
  string: 'STRING',
  record: 'RECORD',
  error: 'RECORD',
  enum: 'ENUM',
  array: 'ARRAY',
  map: 'MAP',
  union: 'UNION',
  fixed: 'FIXED',
};

/** Java's type of an avsc Type (logical types are their underlying type, as in Java's check). */
function javaType(type: avro.Type): string {
  if (type instanceof avro.types.WrappedUnionType || type instanceof avro.types.UnwrappedUnionType)
    return 'UNION';
  const name = JAVA_TYPE[type.typeName];
  if (!name) throw new Error(`unexpected avsc type ${type.typeName}`);
  return name;
}

function unionTypes(type: avro.Type): readonly avro.Type[] {
  return (type as unknown as { types: avro.Type[] }).types;
}

const underlying = (type: avro.Type) => (type instanceof avro.types.LogicalType ? type.underlyingType : type);

const simpleName = (fullName: string | undefined) =>
  (fullName ?? '').slice((fullName ?? '').lastIndexOf('.') + 1);

/**
 * `[]`: a union no value can have. avsc refuses to build one; Avro's Java library accepts it (and its
 * own compatibility suite uses it), so the checker gets a union type with no branches: as a writer it
 * is read by anything, as a reader it reads nothing.
 */
const EMPTY_UNION: avro.Type = (() => {
  const union = Object.create(avro.types.WrappedUnionType.prototype) as avro.Type;
  (avro.Type as unknown as { call(self: object): void }).call(union);
  Object.defineProperty(union, 'types', { value: Object.freeze([]) });
  return union;
})();

/** Builds a schema for checking: unions kept as unions; of logical types only decimal, for its warnings. */
function parseForCheck(schema: SchemaInput, what: string): avro.Type {
  return buildType(
    schema,
    {
      for: 'check',
      options: {
        wrapUnions: true,
        logicalTypes: { decimal: DecimalType },
        typeHook: (json) => (Array.isArray(json) && json.length === 0 ? EMPTY_UNION : undefined),
      },
    },
    `the ${what} schema`,
  );
}

/**
 * Can data written with `writer` be read with `reader`? Implements the Avro specification's schema
 * resolution the way Apache Avro's Java `SchemaCompatibility.checkReaderWriterCompatibility` does, and
 * reports every incompatibility (not just the first) with Java's kind, location and message. Where Java
 * departs from the specification, this follows Java:
 * - named types match on their simple names (the specification says full names), or a reader alias
 *   equal to the writer's full name;
 * - a reader enum with a default accepts any writer symbol;
 * - a reader union accepts a writer type if any branch can read it (not only the first match).
 */
export function checkCompatibility(reader: SchemaInput, writer: SchemaInput): CompatibilityResult {
  const checker = new Checker();
  const incompatibilities = checker.check(
    parseForCheck(reader, 'reader'),
    parseForCheck(writer, 'writer'),
    [],
  );
  return { compatible: incompatibilities.length === 0, incompatibilities, warnings: checker.warnings };
}

const IN_PROGRESS: readonly Incompatibility[] = Object.freeze([]);

class Checker {
  private readonly memo = new Map<avro.Type, Map<avro.Type, readonly Incompatibility[]>>();
  readonly warnings: CompatibilityWarning[] = [];

  check(reader: avro.Type, writer: avro.Type, location: Location): readonly Incompatibility[] {
    let byWriter = this.memo.get(reader);
    if (!byWriter) this.memo.set(reader, (byWriter = new Map()));
    const known = byWriter.get(writer);
    // A pair met again while it is being checked is assumed compatible (recursive types), as in Java.
    if (known) return known;
    byWriter.set(writer, IN_PROGRESS);
    const result = this.calculate(reader, writer, location);
    byWriter.set(writer, result);
    return result;
  }

  private incompatibility(
    kind: IncompatibilityKind,
    reader: avro.Type,
    writer: avro.Type,
    message: string,
    location: Location,
  ): Incompatibility {
    return {
      kind,
      path: `/${location.join('/')}`,
      message,
      reader: reader.schema({ noDeref: true }),
      writer: writer.schema({ noDeref: true }),
    };
  }

  private typeMismatch(reader: avro.Type, writer: avro.Type, location: Location): Incompatibility[] {
    return [
      this.incompatibility(
        'TYPE_MISMATCH',
        reader,
        writer,
        `reader type: ${javaType(reader)} not compatible with writer type: ${javaType(writer)}`,
        location,
      ),
    ];
  }

  private calculate(
    readerAsGiven: avro.Type,
    writerAsGiven: avro.Type,
    location: Location,
  ): readonly Incompatibility[] {
    // Java checks logical types as their underlying types; decimals are only compared for warnings.
    this.decimalWarnings(readerAsGiven, writerAsGiven, location);
    const reader = underlying(readerAsGiven);
    const writer = underlying(writerAsGiven);
    const readerType = javaType(reader);
    const writerType = javaType(writer);
    if (readerType === writerType) {
      switch (readerType) {
        case 'ARRAY':
          return this.check(
            (reader as avro.types.ArrayType).itemsType,
            (writer as avro.types.ArrayType).itemsType,
            [...location, 'items'],
          );
        case 'MAP':
          return this.check(
            (reader as avro.types.MapType).valuesType,
            (writer as avro.types.MapType).valuesType,
            [...location, 'values'],
          );
        case 'FIXED': {
          const found = this.names(reader, writer, location);
          const readerSize = (reader as avro.types.FixedType).size;
          const writerSize = (writer as avro.types.FixedType).size;
          if (readerSize !== writerSize) {
            found.push(
              this.incompatibility(
                'FIXED_SIZE_MISMATCH',
                reader,
                writer,
                `expected: ${writerSize}, found: ${readerSize}`,
                [...location, 'size'],
              ),
            );
          }
          return found;
        }
        case 'ENUM':
          return [...this.names(reader, writer, location), ...this.enumSymbols(reader, writer, location)];
        case 'RECORD':
          return [...this.names(reader, writer, location), ...this.fields(reader, writer, location)];
        case 'UNION':
          return unionTypes(writer).flatMap((branch, i) =>
            this.check(reader, branch, [...location, String(i)]),
          );
        default:
          return [];
      }
    }
    if (writerType === 'UNION') {
      return unionTypes(writer).flatMap((branch, i) => this.check(reader, branch, [...location, String(i)]));
    }
    switch (readerType) {
      case 'LONG':
        return writerType === 'INT' ? [] : this.typeMismatch(reader, writer, location);
      case 'FLOAT':
        return writerType === 'INT' || writerType === 'LONG'
          ? []
          : this.typeMismatch(reader, writer, location);
      case 'DOUBLE':
        return ['INT', 'LONG', 'FLOAT'].includes(writerType)
          ? []
          : this.typeMismatch(reader, writer, location);
      case 'BYTES':
        return writerType === 'STRING' ? [] : this.typeMismatch(reader, writer, location);
      case 'STRING':
        return writerType === 'BYTES' ? [] : this.typeMismatch(reader, writer, location);
      case 'UNION': {
        // Any branch that reads the writer's type will do; the trials are not part of the report (as in Java).
        for (const branch of unionTypes(reader)) {
          if (this.check(branch, writer, location).length === 0) return [];
        }
        return [
          this.incompatibility(
            'MISSING_UNION_BRANCH',
            reader,
            writer,
            `reader union lacking writer type: ${writerType}`,
            location,
          ),
        ];
      }
      default:
        return this.typeMismatch(reader, writer, location);
    }
  }

  private names(reader: avro.Type, writer: avro.Type, location: Location): Incompatibility[] {
    if (simpleName(reader.name) === simpleName(writer.name)) return [];
    if ((reader.aliases ?? []).includes(writer.name ?? '')) return [];
    return [
      this.incompatibility('NAME_MISMATCH', reader, writer, `expected: ${writer.name ?? ''}`, [
        ...location,
        'name',
      ]),
    ];
  }

  private enumSymbols(reader: avro.Type, writer: avro.Type, location: Location): Incompatibility[] {
    const readerEnum = reader as avro.types.EnumType & { default?: string };
    const readerSymbols = new Set(readerEnum.symbols);
    const missing = (writer as avro.types.EnumType).symbols.filter((s) => !readerSymbols.has(s)).sort();
    if (missing.length === 0) return [];
    if (readerEnum.default !== undefined && readerSymbols.has(readerEnum.default)) return [];
    return [
      this.incompatibility('MISSING_ENUM_SYMBOLS', reader, writer, `[${missing.join(', ')}]`, [
        ...location,
        'symbols',
      ]),
    ];
  }

  private fields(reader: avro.Type, writer: avro.Type, location: Location): readonly Incompatibility[] {
    const writerFields = new Map((writer as avro.types.RecordType).fields.map((f) => [f.name, f]));
    return (reader as avro.types.RecordType).fields.flatMap((field, i) => {
      const at = [...location, 'fields', String(i)];
      const writerField =
        writerFields.get(field.name) ?? field.aliases.map((a) => writerFields.get(a)).find(Boolean);
      if (writerField) return this.check(field.type, writerField.type, [...at, 'type']);
      if (field.defaultValue() !== undefined) return [];
      return [this.incompatibility('READER_FIELD_MISSING_DEFAULT_VALUE', field.type, writer, field.name, at)];
    });
  }

  private decimalWarnings(reader: avro.Type, writer: avro.Type, location: Location): void {
    if (!(reader instanceof DecimalType) || !(writer instanceof DecimalType)) return;
    const path = `/${location.join('/')}`;
    if (reader.scale !== writer.scale) {
      this.warnings.push({
        kind: 'DECIMAL_SCALE_CHANGED',
        path,
        message: `decimal scale ${writer.scale} (writer) read as scale ${reader.scale}: every value changes by 10^${writer.scale - reader.scale}`,
      });
    }
    if (reader.precision < writer.precision) {
      this.warnings.push({
        kind: 'DECIMAL_PRECISION_CHANGED',
        path,
        message: `decimal precision ${writer.precision} (writer) read as precision ${reader.precision}: larger values do not fit`,
      });
    }
  }
}
