/**
 * The JSON shapes docs/cli.md documents for each command's `--format json`, and a validator for the
 * subset of JSON Schema they use (type, enum, properties, required, additionalProperties, items), so a
 * test holds the output to what the page promises without adding a schema library.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './typescript.js';

export interface Shape {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, Shape>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly items?: Shape;
}

/** The ```json block that follows `<!-- json-shape: <name> -->` in docs/cli.md. */
export function documentedShape(name: string): Shape {
  const page = readFileSync(join(repoRoot, 'docs', 'cli.md'), 'utf8');
  const marker = `<!-- json-shape: ${name} -->`;
  const at = page.indexOf(marker);
  if (at < 0) throw new Error(`docs/cli.md documents no JSON shape "${name}"`);
  const block = /```json\n([\s\S]*?)\n```/.exec(page.slice(at));
  if (!block) throw new Error(`docs/cli.md: no json block after ${marker}`);
  return JSON.parse(block[1]!) as Shape;
}

/** Every place `value` departs from `shape`, as `<path>: <what>` (empty: it conforms). */
export function shapeErrors(value: unknown, shape: Shape, path = '$'): string[] {
  const errors: string[] = [];
  if (shape.enum && !shape.enum.some((v) => v === value)) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(shape.enum)}`);
  }
  if (shape.type) {
    const actual =
      value === null
        ? 'null'
        : Array.isArray(value)
          ? 'array'
          : Number.isInteger(value) && shape.type === 'integer'
            ? 'integer'
            : typeof value;
    if (actual !== shape.type) errors.push(`${path}: a ${actual}, the shape says ${shape.type}`);
  }
  if (Array.isArray(value) && shape.items) {
    value.forEach((v, i) => errors.push(...shapeErrors(v, shape.items!, `${path}[${i}]`)));
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const key of shape.required ?? []) if (!(key in record)) errors.push(`${path}: no ${key}`);
    for (const [key, v] of Object.entries(record)) {
      const property = shape.properties?.[key];
      if (property) errors.push(...shapeErrors(v, property, `${path}.${key}`));
      else if (shape.additionalProperties === false) errors.push(`${path}: ${key} is not in the shape`);
    }
  }
  return errors;
}
