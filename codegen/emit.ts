import avro from 'avsc';
import type { AvroSchemaJson, AvroValueSettings } from '../src/avro/avro-type.js';
import type { SchemaEntry } from '../src/schema/load.js';
import type { EntryNames } from './naming.js';
import type { TopicSpec } from '../src/schema/topic-map.js';
import { tsDoc, TypeWriter } from './typescript.js';

/** One generated file, its path relative to the output folder. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

export interface EmitInput {
  readonly entries: readonly SchemaEntry[];
  readonly definitions: Readonly<Record<string, AvroSchemaJson>>;
  readonly names: ReadonlyMap<string, EntryNames>;
  readonly topics: readonly TopicSpec[] | undefined;
  readonly settings: Required<Pick<AvroValueSettings, 'longs'>> & AvroValueSettings;
  /** Where generated code imports avrokit's runtime from. */
  readonly runtime: string;
  /** The first lines of every file: says it is generated and from what. */
  readonly header: string;
}

export const fileOf = (key: string) => `${key}.ts`;
const importPath = (key: string) => `./${key}.js`;
const quote = (text: string) => JSON.stringify(text);

function namesOf(input: EmitInput, key: string): EntryNames {
  const names = input.names.get(key);
  if (!names) throw new Error(`no generated name for ${key}`);
  return names;
}

function importLines(writer: TypeWriter, self: string): string {
  const byFile = new Map<string, string[]>();
  for (const [name, fullName] of writer.used) {
    if (fullName === self) continue;
    byFile.set(fullName, [...(byFile.get(fullName) ?? []), name]);
  }
  return [...byFile.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(
      ([fullName, names]) =>
        `import type { ${[...names].sort().join(', ')} } from ${quote(importPath(fullName))};\n`,
    )
    .join('');
}

function describe(entry: SchemaEntry): string {
  return entry.kind === 'anonymous'
    ? `The unnamed top-level schema of ${entry.location.file}.`
    : `Avro ${entry.kind} \`${entry.key}\` (${entry.location.file}${entry.location.pointer ? ` at ${entry.location.pointer}` : ''}).`;
}

/** `decimal(10,2)`, `timestamp-millis`: a logical type as the schema declares it. */
function logicalName(node: Record<string, unknown>): string | undefined {
  if (typeof node.logicalType !== 'string') return undefined;
  if (node.logicalType !== 'decimal') return node.logicalType;
  const scale = typeof node.scale === 'number' ? node.scale : 0;
  return `decimal(${String(node.precision)},${scale})`;
}

/**
 * A field's doc line for its logical types: the TypeScript type (`string`, `Date`, `number`) does not
 * say which Avro type is behind it, and the reader of the generated code needs it (`total: string` is
 * a decimal(10,2), so "12.555" will be refused). Direct and union branches; named types have their own.
 */
function logicalNote(fieldType: unknown): string | undefined {
  const branches = Array.isArray(fieldType) ? fieldType : [fieldType];
  const notes: string[] = [];
  for (const branch of branches) {
    if (typeof branch !== 'object' || branch === null || Array.isArray(branch)) continue;
    const node = branch as Record<string, unknown>;
    const name = logicalName(node);
    const underlying = typeof node.type === 'string' ? node.type : undefined;
    if (name && underlying) notes.push(`\`${name}\` on \`${underlying}\``);
  }
  return notes.length > 0 ? `Avro ${notes.join(', ')}.` : undefined;
}

function emitEntry(entry: SchemaEntry, input: EmitInput): GeneratedFile {
  const names = namesOf(input, entry.key);
  const type = entry.type;
  const writer = new TypeWriter(input.names);
  const own = entry.kind === 'anonymous' ? entry.root : input.definitions[entry.key];
  const json = own as {
    doc?: unknown;
    fields?: Record<string, unknown>[];
    default?: unknown;
    symbols?: string[];
  };
  const doc = typeof json.doc === 'string' && json.doc.trim() ? [json.doc, ''] : [];
  let body = '';

  if (type instanceof avro.types.RecordType && entry.kind !== 'anonymous') {
    const fields = type.fields.map((field, i) => {
      const fieldJson = json.fields?.[i] ?? {};
      const hasDefault = 'default' in fieldJson;
      const logical = logicalNote(fieldJson.type);
      const fieldDoc = [
        ...(typeof fieldJson.doc === 'string' ? [fieldJson.doc] : []),
        ...(logical ? [logical] : []),
        ...(hasDefault ? [`@default ${JSON.stringify(fieldJson.default)}`] : []),
      ];
      return { name: field.name, type: field.type, doc: fieldDoc, hasDefault };
    });
    const iface = (name: string, mode: 'value' | 'input', lead: string[]) =>
      tsDoc(lead) +
      `export interface ${name} {\n` +
      // Without members an interface would accept any value, strings included; avsc wants an object.
      (fields.length === 0 ? '  readonly [field: string]: never;\n' : '') +
      fields
        .map((f) => {
          const optional = mode === 'input' && f.hasDefault ? '?' : '';
          return `${tsDoc(f.doc, '  ')}  ${quoteKey(f.name)}${optional}: ${writer.write(f.type, mode)};\n`;
        })
        .join('') +
      '}\n';
    body += iface(names.value, 'value', [...doc, describe(entry)]);
    body += '\n';
    body += iface(names.input, 'input', [
      `\`${names.value}\` as a producer writes it: fields with a default may be left out.`,
    ]);
  } else if (entry.kind === 'anonymous') {
    body += `${tsDoc([...doc, describe(entry)])}export type ${names.value} = ${writer.write(type, 'value')};\n\n`;
    body += `${tsDoc([`\`${names.value}\` as a producer writes it.`])}export type ${names.input} = ${writer.write(type, 'input')};\n`;
  } else {
    const extra =
      entry.kind === 'enum' && json.default !== undefined ? [`@default ${JSON.stringify(json.default)}`] : [];
    const text =
      type instanceof avro.types.EnumType ? type.symbols.map(quote).join(' | ') : writer.write(type, 'value');
    body += `${tsDoc([...doc, describe(entry), ...extra])}export type ${names.value} = ${text};\n`;
  }

  body += `\n${tsDoc([
    entry.kind === 'anonymous'
      ? `The schema of ${entry.location.file}, with named types by full name; \`avroSchemas[${quote(entry.key)}]\` is it standalone.`
      : `The own schema of \`${entry.key}\`, with the named types it uses by full name; \`avroSchemas[${quote(entry.key)}]\` is it standalone.`,
  ])}`;
  body += `export const ${names.definition}: AvroSchemaJson = ${JSON.stringify(own, null, 2)};\n`;
  const runtimeTypes = writer.usesUnion ? 'AvroSchemaJson, AvroUnion' : 'AvroSchemaJson';
  const imports = `import type { ${runtimeTypes} } from ${quote(input.runtime)};\n${importLines(writer, entry.key)}`;
  return { path: fileOf(entry.key), content: `${input.header}\n${imports}\n${body}` };
}

function quoteKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : quote(name);
}

function inputTypeName(input: EmitInput, key: string): string {
  const entry = input.entries.find((e) => e.key === key);
  const names = namesOf(input, key);
  return entry?.kind === 'record' || entry?.kind === 'error' || entry?.kind === 'anonymous'
    ? names.input
    : names.value;
}

function emitIndex(input: EmitInput): GeneratedFile {
  const lines: string[] = [input.header, ''];
  const runtimeTypes = ['AvroSchemaJson', 'AvroValueSettings', ...(input.topics ? ['Topics'] : [])];
  lines.push(
    `import { defineAvroSchemas, defineAvroTypes, type ${runtimeTypes.join(', type ')} } from ${quote(input.runtime)};`,
  );
  for (const entry of input.entries) {
    const names = namesOf(input, entry.key);
    const types = [names.value, ...(inputTypeName(input, entry.key) !== names.value ? [names.input] : [])];
    lines.push(
      `import { ${names.definition}, type ${types.join(', type ')} } from ${quote(importPath(entry.key))};`,
    );
  }
  lines.push('');
  for (const entry of input.entries) lines.push(`export * from ${quote(importPath(entry.key))};`);
  lines.push('');
  const doc = (text: string) => lines.push(...docLines(text));
  doc('Every generated type by full name: the values a reader gets.');
  lines.push('export interface AvroTypes {');
  for (const entry of input.entries) lines.push(`  ${quote(entry.key)}: ${namesOf(input, entry.key).value};`);
  lines.push('}', '');
  doc('Every generated type by full name: what a producer writes (fields with defaults optional).');
  lines.push('export interface AvroInputs {');
  for (const entry of input.entries) lines.push(`  ${quote(entry.key)}: ${inputTypeName(input, entry.key)};`);
  lines.push('}', '');
  doc("Each named type's own schema, by full name.");
  lines.push('export const avroDefinitions: { readonly [name: string]: AvroSchemaJson } = {');
  for (const entry of input.entries) {
    if (entry.kind !== 'anonymous')
      lines.push(`  ${quote(entry.key)}: ${namesOf(input, entry.key).definition},`);
  }
  lines.push('};', '');
  doc(
    "Each type's standalone schema (named types it uses defined inline), by full name; assembled on first use.",
  );
  lines.push('export const avroSchemas = defineAvroSchemas<keyof AvroTypes>(avroDefinitions, {');
  for (const entry of input.entries) {
    const root = entry.kind === 'anonymous' ? namesOf(input, entry.key).definition : quote(entry.key);
    lines.push(`  ${quote(entry.key)}: ${root},`);
  }
  lines.push('});', '');
  const settings: AvroValueSettings = {
    longs: input.settings.longs,
    ...(input.settings.plainLogicalTypes?.length
      ? { plainLogicalTypes: [...input.settings.plainLogicalTypes].sort() }
      : {}),
  };
  doc('The value representation these types were generated for; avsc Types must be built with it.');
  lines.push(`export const avroValueSettings: AvroValueSettings = ${JSON.stringify(settings)};`, '');
  doc(
    'The avsc Type of each type, built on first use, reading and writing exactly the generated TypeScript types.',
  );
  lines.push(
    'export const avroTypes = defineAvroTypes<AvroTypes, AvroInputs>(avroSchemas, avroValueSettings);',
  );
  if (input.topics) lines.push('', ...emitTopics(input.topics));
  return { path: 'index.ts', content: `${lines.join('\n')}\n` };
}

/** A one-paragraph TSDoc block as lines, for files assembled line by line. */
function docLines(text: string): string[] {
  return tsDoc([text]).trimEnd().split('\n');
}

const RAW_KEY_TS = { string: 'string', int: 'number', long: 'number | bigint', bytes: 'Buffer' } as const;

function emitTopics(topics: readonly TopicSpec[]): string[] {
  const lines: string[] = [];
  lines.push(
    ...docLines(
      'Topic → the key and value a producer sends to it, and (`read`) the key and value a consumer reads from it (from the topic map).',
    ),
  );
  lines.push('export type TopicMap = {');
  for (const t of topics) {
    const key = (types: 'AvroInputs' | 'AvroTypes') =>
      t.key.kind === 'none'
        ? 'null'
        : t.key.kind === 'raw'
          ? RAW_KEY_TS[t.key.type]
          : `${types}[${quote(t.key.name)}]`;
    lines.push(
      `  ${quote(t.topic)}: {`,
      `    key: ${key('AvroInputs')};`,
      `    value: AvroInputs[${quote(t.value.name)}];`,
      `    read: { key: ${key('AvroTypes')}; value: AvroTypes[${quote(t.value.name)}] };`,
      '  };',
    );
  }
  // A type alias, not an interface: only type literals satisfy an index-signature constraint.
  lines.push('};', '');
  const avroBinding = (name: string) =>
    `{ kind: 'avro', name: ${quote(name)}, schema: avroSchemas[${quote(name)}], type: avroTypes[${quote(name)}] }`;
  lines.push(...docLines("How each topic's key and value are written; give it to `createProducer`."));
  lines.push('export const topics: Topics<TopicMap> = {');
  for (const t of topics) {
    const key =
      t.key.kind === 'none'
        ? "{ kind: 'none' }"
        : t.key.kind === 'raw'
          ? `{ kind: 'raw', type: ${quote(t.key.type)} }`
          : avroBinding(t.key.name);
    lines.push(
      `  ${quote(t.topic)}: {`,
      `    key: ${key},`,
      `    value: ${avroBinding(t.value.name)},`,
      '  },',
    );
  }
  lines.push('};');
  return lines;
}

/** Every generated file, in a fixed order, for the given entries. */
export function emitFiles(input: EmitInput): GeneratedFile[] {
  return [...input.entries.map((entry) => emitEntry(entry, input)), emitIndex(input)];
}
