import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import avro from 'avsc';
import { assembleSchema } from './assemble.js';
import { avroTypeOptions, type AvroSchemaJson, type AvroValueSettings } from '../avro/avro-type.js';
import { SchemaError } from '../errors.js';

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const NAMED_KINDS = new Set(['record', 'error', 'enum', 'fixed']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Where something is: the file and a JSON pointer into what it holds. */
export interface SchemaLocation {
  readonly file: string;
  readonly pointer: string;
}

export type NamedKind = 'record' | 'error' | 'enum' | 'fixed';

/** One type the generator emits: every named type, and each file whose top-level schema has no name. */
export interface SchemaEntry {
  /** The named type's full name, or for an unnamed top-level schema its file name without extension. */
  readonly key: string;
  readonly kind: NamedKind | 'anonymous';
  /**
   * The schema to assemble (see `assembleSchema`) with `definitions`: the full name itself for a named
   * type, the top-level schema for an unnamed one.
   */
  readonly root: AvroSchemaJson;
  /** The avsc Type values of this entry are read and written with. */
  readonly type: avro.Type;
  readonly location: SchemaLocation;
}

export interface LoadedSchemas {
  /** Sorted by key. */
  readonly entries: readonly SchemaEntry[];
  /** Every named type's own schema, by full name, sorted; named types it uses appear by full name. */
  readonly definitions: Readonly<Record<string, AvroSchemaJson>>;
  /** The files read, relative to the working directory, sorted. */
  readonly files: readonly string[];
}

// Parsed schemas are rewritten into this tree: named types are pulled out into a table, and every use
// of a name is a reference by full name, so that files can be read in any order and each type can be
// re-assembled standalone.
type Node =
  | { readonly tag: 'json'; readonly value: unknown } // primitive name or an object without children
  | { readonly tag: 'ref'; readonly name: string; readonly namespace: string; readonly at: SchemaLocation }
  | { readonly tag: 'def'; readonly fullName: string }
  | { readonly tag: 'union'; readonly branches: readonly Node[] }
  | {
      readonly tag: 'object';
      readonly attrs: Readonly<Record<string, unknown>>;
      readonly children: Readonly<Record<string, Node>>;
    }
  | {
      readonly tag: 'record';
      readonly attrs: Readonly<Record<string, unknown>>;
      readonly fields: readonly FieldNode[];
    };

interface FieldNode {
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly type: Node;
  readonly at: SchemaLocation;
}

interface Definition {
  readonly fullName: string;
  readonly namespace: string;
  readonly kind: NamedKind;
  readonly node: Node; // a 'record' node, or 'json'/'object' for enum and fixed
  readonly at: SchemaLocation;
}

function fail(at: SchemaLocation, message: string): never {
  throw new SchemaError('SCHEMA_INVALID', `${at.file}: ${at.pointer || '/'}: ${message}`, {
    context: { file: at.file, path: at.pointer || '/' },
  });
}

const child = (at: SchemaLocation, key: string | number): SchemaLocation => ({
  file: at.file,
  pointer: `${at.pointer}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`,
});

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function splitFullName(fullName: string): { namespace: string; name: string } {
  const dot = fullName.lastIndexOf('.');
  return dot < 0
    ? { namespace: '', name: fullName }
    : { namespace: fullName.slice(0, dot), name: fullName.slice(dot + 1) };
}

class SchemaReader {
  readonly definitions = new Map<string, Definition>();
  readonly redefinitions: Definition[] = [];
  readonly roots: { key: string; node: Node; at: SchemaLocation }[] = [];

  read(json: unknown, namespace: string, at: SchemaLocation): Node {
    if (typeof json === 'string') {
      if (PRIMITIVES.has(json)) return { tag: 'json', value: json };
      return { tag: 'ref', name: json, namespace, at };
    }
    if (Array.isArray(json)) {
      if (json.length === 0) fail(at, 'a union needs at least one branch');
      return {
        tag: 'union',
        branches: json.map((branch, i) => {
          if (Array.isArray(branch)) fail(child(at, i), 'a union may not directly contain another union');
          return this.read(branch, namespace, child(at, i));
        }),
      };
    }
    if (!isObject(json))
      fail(at, `expected a type name, a schema object or a union array, got ${JSON.stringify(json)}`);
    const type = json.type;
    if (type === undefined) fail(at, 'a schema object needs a "type"');
    if (typeof type !== 'string') {
      // {"type": {...}} or {"type": [...]}: the inner schema is the type.
      return this.read(type, namespace, child(at, 'type'));
    }
    if (NAMED_KINDS.has(type)) return this.readNamed(json, type as NamedKind, namespace, at);
    if (type === 'array' || type === 'map') {
      const key = type === 'array' ? 'items' : 'values';
      if (json[key] === undefined) fail(at, `an ${type} needs "${key}"`);
      const { [key]: inner, ...attrs } = json;
      return { tag: 'object', attrs, children: { [key]: this.read(inner, namespace, child(at, key)) } };
    }
    if (PRIMITIVES.has(type)) return { tag: 'json', value: json };
    // {"type": "com.acme.Name"} is a reference written as an object.
    return this.read(type, namespace, child(at, 'type'));
  }

  private readNamed(
    json: Record<string, unknown>,
    kind: NamedKind,
    enclosing: string,
    at: SchemaLocation,
  ): Node {
    const { name, namespace: declared } = json;
    if (typeof name !== 'string' || name === '') fail(at, `a ${kind} needs a "name"`);
    if (declared !== undefined && typeof declared !== 'string')
      fail(child(at, 'namespace'), 'a namespace must be a string');
    const qualified = name.includes('.')
      ? name.replace(/^\./, '')
      : declared !== undefined
        ? declared === ''
          ? name
          : `${declared}.${name}`
        : enclosing === ''
          ? name
          : `${enclosing}.${name}`;
    for (const part of qualified.split('.')) {
      if (!NAME.test(part))
        fail(child(at, 'name'), `invalid name "${qualified}": each part must match [A-Za-z_][A-Za-z0-9_]*`);
    }
    if (PRIMITIVES.has(splitFullName(qualified).name)) {
      fail(
        child(at, 'name'),
        `a named type cannot be called "${splitFullName(qualified).name}", a primitive type's name`,
      );
    }
    // A second definition is allowed when it is the same type (files often repeat a shared type);
    // that is checked once every name can be resolved.
    const redefining = this.definitions.has(qualified);
    const { namespace } = splitFullName(qualified);
    const { name: _name, namespace: _namespace, ...rest } = json;
    const attrs = { ...rest, name: splitFullName(qualified).name };
    let node: Node;
    if (kind === 'record' || kind === 'error') {
      const { fields } = json;
      if (!Array.isArray(fields)) fail(child(at, 'fields'), `a ${kind} needs a "fields" array`);
      // Registered before the fields are read, so a record can refer to itself.
      if (!redefining) {
        this.definitions.set(qualified, {
          fullName: qualified,
          namespace,
          kind,
          node: { tag: 'json', value: null },
          at,
        });
      }
      const seen = new Set<string>();
      const fieldNodes = fields.map((field: unknown, i): FieldNode => {
        const fieldAt = child(child(at, 'fields'), i);
        if (!isObject(field)) fail(fieldAt, 'a field must be an object');
        const { name: fieldName, type: fieldType, ...fieldAttrs } = field;
        if (typeof fieldName !== 'string' || !NAME.test(fieldName)) {
          fail(child(fieldAt, 'name'), `invalid field name ${JSON.stringify(fieldName)}`);
        }
        if (seen.has(fieldName)) fail(child(fieldAt, 'name'), `duplicate field "${fieldName}"`);
        seen.add(fieldName);
        if (fieldType === undefined) fail(fieldAt, `field "${fieldName}" needs a "type"`);
        return {
          attrs: { name: fieldName, ...fieldAttrs },
          type: this.read(fieldType, namespace, child(fieldAt, 'type')),
          at: fieldAt,
        };
      });
      const { fields: _fields, ...recordAttrs } = attrs as Record<string, unknown>;
      node = { tag: 'record', attrs: recordAttrs, fields: fieldNodes };
    } else {
      if (kind === 'enum') checkEnum(json, at);
      if (kind === 'fixed') {
        const { size } = json;
        if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
          fail(child(at, 'size'), `a fixed needs a non-negative integer "size", got ${JSON.stringify(size)}`);
        }
      }
      node = { tag: 'json', value: attrs };
    }
    if (redefining) this.redefinitions.push({ fullName: qualified, namespace, kind, node, at });
    else this.definitions.set(qualified, { fullName: qualified, namespace, kind, node, at });
    return { tag: 'def', fullName: qualified };
  }

  /** Fails unless every repeated definition describes the same type as the first (docs aside). */
  checkRedefinitions(): void {
    for (const again of this.redefinitions) {
      const first = this.definitions.get(again.fullName);
      if (!first) continue;
      if (JSON.stringify(this.shape(first.node)) !== JSON.stringify(this.shape(again.node))) {
        fail(
          again.at,
          `${again.fullName} is defined again, differently (first defined at ${first.at.file}: ${first.at.pointer || '/'})`,
        );
      }
    }
  }

  private shape(node: Node): unknown {
    const withoutDoc = (attrs: Readonly<Record<string, unknown>>) =>
      Object.fromEntries(Object.entries(attrs).filter(([key]) => key !== 'doc'));
    switch (node.tag) {
      case 'json':
        return typeof node.value === 'object' && node.value !== null
          ? withoutDoc(node.value as Record<string, unknown>)
          : node.value;
      case 'ref':
        return { ref: this.resolve(node).fullName };
      case 'def':
        return { ref: node.fullName };
      case 'union':
        return node.branches.map((branch) => this.shape(branch));
      case 'object':
        return [withoutDoc(node.attrs), Object.entries(node.children).map(([k, v]) => [k, this.shape(v)])];
      case 'record':
        return [withoutDoc(node.attrs), node.fields.map((f) => [withoutDoc(f.attrs), this.shape(f.type)])];
    }
  }

  /** Java's rule: a short name is looked up in the enclosing namespace, then in the null namespace. */
  resolve(ref: Extract<Node, { tag: 'ref' }>): Definition {
    const name = ref.name.replace(/^\./, '');
    const candidates =
      name.includes('.') || ref.namespace === '' ? [name] : [`${ref.namespace}.${name}`, name];
    for (const candidate of candidates) {
      const found = this.definitions.get(candidate);
      if (found) return found;
    }
    return fail(
      ref.at,
      `unknown type name "${ref.name}"${candidates.length > 1 ? ` (looked for ${candidates.join(' and ')})` : ''}`,
    );
  }
}

function checkEnum(json: Record<string, unknown>, at: SchemaLocation): void {
  const { symbols } = json;
  if (!Array.isArray(symbols)) fail(child(at, 'symbols'), 'an enum needs a "symbols" array');
  const seen = new Set<string>();
  symbols.forEach((symbol: unknown, i) => {
    if (typeof symbol !== 'string' || !NAME.test(symbol)) {
      fail(child(child(at, 'symbols'), i), `invalid enum symbol ${JSON.stringify(symbol)}`);
    }
    if (seen.has(symbol)) fail(child(child(at, 'symbols'), i), `duplicate enum symbol "${symbol}"`);
    seen.add(symbol);
  });
  if (json.default !== undefined && !(typeof json.default === 'string' && seen.has(json.default))) {
    fail(child(at, 'default'), `enum default ${JSON.stringify(json.default)} is not one of its symbols`);
  }
}

/** Writes schemas from the tree with every named type used by full name (definitions apart). */
class DefinitionWriter {
  constructor(private readonly reader: SchemaReader) {}

  /** A named type's own schema, with an explicit namespace ("" for none) so it can be placed anywhere. */
  definition(definition: Definition): AvroSchemaJson {
    const body = definition.node;
    const attrs =
      body.tag === 'record' ? body.attrs : body.tag === 'json' ? (body.value as Record<string, unknown>) : {};
    const { type, name, ...rest } = attrs;
    const head = { type, name, namespace: definition.namespace, ...rest };
    if (body.tag !== 'record') return head as AvroSchemaJson;
    return {
      ...head,
      fields: body.fields.map((field) => {
        const { name: fieldName, ...fieldAttrs } = field.attrs;
        return { name: fieldName, type: this.type(field.type), ...fieldAttrs };
      }),
    } as AvroSchemaJson;
  }

  type(node: Node): unknown {
    switch (node.tag) {
      case 'json':
        return node.value;
      case 'union':
        return node.branches.map((branch) => this.type(branch));
      case 'object':
        return {
          ...node.attrs,
          ...Object.fromEntries(Object.entries(node.children).map(([k, v]) => [k, this.type(v)])),
        };
      case 'record':
        throw new Error('records are written as definitions');
      case 'ref':
        return this.reader.resolve(node).fullName;
      case 'def':
        return node.fullName;
    }
  }
}

export interface LoadOptions extends AvroValueSettings {
  /** Base directory for the file names in messages and headers. @default process.cwd() */
  readonly cwd?: string;
}

/** Lists the `.avsc`/`.avdl` files under the given files and folders, sorted, without duplicates. */
export async function findSchemaFiles(paths: readonly string[], cwd = process.cwd()): Promise<string[]> {
  const found = new Set<string>();
  const visit = async (path: string, explicit: boolean): Promise<void> => {
    const info = await stat(path).catch(() => undefined);
    if (!info) {
      throw new SchemaError('SCHEMA_INVALID', `${relative(cwd, path) || path}: no such file or folder`, {
        context: { file: relative(cwd, path) || path },
      });
    }
    if (info.isDirectory()) {
      for (const entry of (await readdir(path)).sort()) await visit(join(path, entry), false);
    } else if (explicit || ['.avsc', '.avdl'].includes(extname(path))) {
      found.add(path);
    }
  };
  for (const path of paths) await visit(resolve(cwd, path), true);
  return [...found].sort();
}

/**
 * Where JSON.parse stopped: the message says so on newer Node versions; otherwise the shortest prefix
 * that fails for a reason other than ending early ends just after the offending character.
 */
function errorOffset(text: string, message: string): number | undefined {
  const position = /position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  const failsInside = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return false;
    } catch (err) {
      return !/end of (JSON )?input|Unterminated|Expected .* after/i.test((err as Error).message);
    }
  };
  if (!failsInside(text.length)) return undefined;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (failsInside(mid)) high = mid;
    else low = mid + 1;
  }
  return Math.max(0, low - 1);
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const offset = errorOffset(text, message);
    let where = '';
    if (offset !== undefined) {
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      where = ` at line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
    }
    throw new SchemaError('SCHEMA_INVALID', `${file}: invalid JSON${where}: ${message}`, {
      context: { file },
    });
  }
}

function readProtocol(path: string): Promise<{ namespace?: string; types?: unknown[] }> {
  return new Promise((done, failed) => {
    avro.assembleProtocol(path, (err, protocol) => (err ? failed(err) : done(protocol as never)));
  });
}

/**
 * Reads schema files together: named types are resolved by full name across all of them, in any
 * order. Every problem is an error naming the file and the JSON pointer of the offending schema part.
 */
export async function loadSchemas(
  paths: readonly string[],
  options: LoadOptions = {},
): Promise<LoadedSchemas> {
  const cwd = options.cwd ?? process.cwd();
  const files = await findSchemaFiles(paths, cwd);
  if (files.length === 0)
    throw new SchemaError('SCHEMA_INVALID', `no .avsc or .avdl files in ${paths.join(', ')}`);
  const reader = new SchemaReader();
  const anonymousKeys = new Map<string, string>();

  for (const path of files) {
    const file = relative(cwd, path) || path;
    const at: SchemaLocation = { file, pointer: '' };
    if (extname(path) === '.avdl') {
      const protocol = await readProtocol(path).catch((err: unknown) =>
        fail(at, `invalid Avro IDL: ${err instanceof Error ? err.message : String(err)}`),
      );
      for (const [i, schema] of (protocol.types ?? []).entries()) {
        reader.read(schema, protocol.namespace ?? '', child(child(at, 'types'), i));
      }
      continue;
    }
    const json = parseJson(await readFile(path, 'utf8'), file);
    let node: Node;
    try {
      node = reader.read(json, '', at);
    } catch (err) {
      // JSON.parse reads any depth; walking a schema nested deeper than the stack allows overflows it.
      if (err instanceof RangeError) fail(at, `the schema is nested too deeply to read (${err.message})`);
      throw err;
    }
    // A file holding only named types (one, or an array of them) defines those; any other top-level
    // schema (a primitive, an array type, a union with unnamed branches) is exposed under the file name.
    const onlyNamed =
      node.tag === 'def' ||
      (node.tag === 'union' && node.branches.every((b) => b.tag === 'def' || b.tag === 'ref'));
    if (!onlyNamed) {
      const key = basename(path, extname(path));
      const other = anonymousKeys.get(key);
      if (other)
        fail(
          at,
          `an unnamed top-level schema is exposed under its file name "${key}", which ${other} uses already`,
        );
      anonymousKeys.set(key, file);
      reader.roots.push({ key, node, at });
    }
  }

  reader.checkRedefinitions();
  const writer = new DefinitionWriter(reader);
  const definitions: Record<string, AvroSchemaJson> = {};
  for (const name of [...reader.definitions.keys()].sort()) {
    definitions[name] = writer.definition(reader.definitions.get(name)!);
  }
  const roots = [
    ...[...reader.definitions.values()].map((d) => ({
      key: d.fullName,
      kind: d.kind as SchemaEntry['kind'],
      root: d.fullName as AvroSchemaJson,
      at: d.at,
    })),
    ...reader.roots.map((r) => ({
      key: r.key,
      kind: 'anonymous' as const,
      root: writer.type(r.node) as AvroSchemaJson,
      at: r.at,
    })),
  ].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  // One avsc build covers every type (a record with a field per entry), so checking is linear in the
  // size of the schemas; only when it fails is each type built on its own to say where.
  const typeOptions = { ...avroTypeOptions(options), assertLogicalTypes: false };
  const all = {
    type: 'record',
    name: '__avrokit_all',
    fields: roots.map((r, i) => ({ name: `f${i}`, type: r.root })),
  } as AvroSchemaJson;
  let built: avro.types.RecordType;
  try {
    built = avro.Type.forSchema(
      assembleSchema(all, definitions) as avro.Schema,
      typeOptions,
    ) as avro.types.RecordType;
  } catch (err) {
    try {
      locateFailure(reader, writer, definitions, roots, typeOptions);
    } catch (located) {
      if (!(located instanceof RangeError)) throw located;
    }
    if (err instanceof RangeError) {
      throw new SchemaError(
        'SCHEMA_INVALID',
        `${files.map((f) => relative(cwd, f) || f).join(', ')}: a schema is nested too deeply to build (${err.message})`,
        { cause: err },
      );
    }
    throw err;
  }
  const entries = roots.map((r, i): SchemaEntry => {
    const type = built.fields[i]?.type;
    if (!type) throw new Error(`no type built for ${r.key}`);
    return { key: r.key, kind: r.kind, root: r.root, type, location: r.at };
  });
  return { entries, definitions, files: files.map((f) => relative(cwd, f) || f).sort() };
}

/** Finds the schema part avsc refused: each field default on its own first, then each type. */
function locateFailure(
  reader: SchemaReader,
  writer: DefinitionWriter,
  definitions: Readonly<Record<string, AvroSchemaJson>>,
  roots: readonly { root: AvroSchemaJson; at: SchemaLocation }[],
  typeOptions: Partial<avro.ForSchemaOptions>,
): void {
  const build = (schema: unknown, at: SchemaLocation): void => {
    try {
      // A registry of its own: avsc adds every name it defines to the one in the options.
      avro.Type.forSchema(assembleSchema(schema as AvroSchemaJson, definitions) as avro.Schema, {
        ...typeOptions,
        registry: {},
      });
    } catch (err) {
      fail(at, err instanceof Error ? err.message : String(err));
    }
  };
  for (const definition of reader.definitions.values()) {
    if (definition.node.tag !== 'record') continue;
    for (const field of definition.node.fields) {
      if (!('default' in field.attrs)) continue;
      build(
        {
          type: 'record',
          name: '__avrokit_default_check',
          namespace: definition.namespace,
          fields: [{ name: field.attrs.name, type: writer.type(field.type), default: field.attrs.default }],
        },
        child(field.at, 'default'),
      );
    }
  }
  for (const root of roots) build(root.root, root.at);
}
