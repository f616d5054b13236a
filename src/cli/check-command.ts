import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { COMPATIBILITY_LEVELS, type CompatibilityLevel } from '../schema/compatibility-levels.js';
import { loadSchemas, type LoadedSchemas, type SchemaEntry } from '../schema/load.js';
import type { AvroSchemaJson } from '../avro/avro-type.js';
import { AvrokitError, UsageError } from '../errors.js';
import { checkEvolution, type EvolutionResult } from '../evolution/evolution.js';
import { explain } from '../evolution/explain.js';
import { isNotFound } from '../registry/errors.js';
import { SchemaRegistry } from '../registry/schema-registry.js';
import { defineCommand, type Command } from './command.js';
import { registryOptionsFrom } from './environment.js';
import {
  describeStrategy,
  standaloneSchema,
  subjectsFor,
  topLevelTypes,
  type SubjectChoice,
  type SubjectStrategy,
} from './schema-selection.js';
import { errorLine, stdoutStyle, type Style } from './style.js';

const usage = `Usage: avrokit check <schema files or folders...> --against <where> [options]

Checks that each named top-level type in the given schemas may follow its previous version(s) under a
compatibility level, with the Avro specification's resolution rules as Apache Avro's Java library
applies them. Reports every incompatibility with its path, why it breaks readers, and how to fix it.

  --against <file|dir>     previous versions in schema files (matched by full name)
  --against git:<rev>      the same files at a git revision (e.g. git:main, git:HEAD~1)
  --against registry       the versions registered in the schema registry (SCHEMA_REGISTRY_URL or
                           --registry-url); subjects from --subject, --topics (<topic>-value/-key), or
                           else the full name; the registry's own verdict is asked too
  --level <level>          ${COMPATIBILITY_LEVELS.join(', ')}
                           (default: the registry's level with --against registry, else BACKWARD)
  --subject <subject>      with one type: its subject
  --topics <file>          topic map, to derive subjects
  --registry-url <url>     the registry (default: SCHEMA_REGISTRY_URL)
  --format text|json|github  (default text; github writes workflow annotations)
  --fail-if-nothing-checked  exit 2 when no type had a previous version to check against (for CI:
                           a wrong subject or an empty --against then fails instead of passing)

Every line names the subject and how it was named. When no type had a previous version, a warning
says so and what was looked up; the exit code stays 0 (a type's first version has nothing to be
compatible with) unless --fail-if-nothing-checked is given.

Exit codes: 0 compatible, 1 incompatible, 2 usage or input error, or nothing checked with
--fail-if-nothing-checked.`;

interface Previous {
  readonly label: string;
  readonly schemas: readonly AvroSchemaJson[];
  readonly level: CompatibilityLevel;
  readonly registryVerdict?: boolean;
}

interface TypeReport {
  readonly name: string;
  readonly file: string;
  readonly against: string;
  /** Undefined when there was nothing to check; `note` says why. */
  readonly result: EvolutionResult | undefined;
  readonly note?: string;
  /** The registry's own verdict, where it was asked. */
  readonly registryCompatible?: boolean;
  /** With --against registry: the subject looked up, and how it was named. */
  readonly subject?: string;
  readonly strategy?: SubjectStrategy;
}

const unchecked = (
  entry: SchemaEntry,
  against: string,
  note: string,
  choice?: SubjectChoice,
): TypeReport => ({
  name: entry.key,
  file: entry.location.file,
  against,
  result: undefined,
  note,
  ...(choice ? { subject: choice.subject, strategy: choice.strategy } : {}),
});

const registryDisagrees = (r: TypeReport) =>
  r.result !== undefined &&
  r.registryCompatible !== undefined &&
  r.registryCompatible !== r.result.compatible;

/** The given files as they were at a git revision, in a temporary folder (files that did not exist are left out). */
function filesAtRevision(rev: string, files: readonly string[]): { files: string[]; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'avrokit-check-'));
  const written: string[] = [];
  for (const file of files) {
    const shown = spawnSync('git', ['show', `${rev}:./${file}`], { encoding: 'utf8' });
    if (shown.status !== 0) {
      if (/invalid object name|unknown revision|bad revision/i.test(shown.stderr)) {
        rmSync(dir, { recursive: true, force: true });
        throw new UsageError(`git does not know revision ${rev}: ${shown.stderr.trim()}`);
      }
      continue; // the file did not exist then: its types are new
    }
    const target = join(dir, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, shown.stdout);
    written.push(target);
  }
  return { files: written, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export const checkCommand: Command = defineCommand({
  name: 'check',
  summary: 'check schema changes for compatibility with previous versions',
  usage,
  options: {
    against: { type: 'string' },
    level: { type: 'string' },
    subject: { type: 'string' },
    topics: { type: 'string' },
    'registry-url': { type: 'string' },
    format: { type: 'string' },
    'fail-if-nothing-checked': { type: 'boolean' },
  },
  async run(values, positionals) {
    if (positionals.length === 0) throw new UsageError('give the schema files or folders to check');
    if (!values.against) throw new UsageError('--against <file|dir|git:rev|registry> is required');
    const format = values.format ?? 'text';
    if (!['text', 'json', 'github'].includes(format))
      throw new UsageError(`--format must be text, json or github`);
    if (values.level !== undefined && !(COMPATIBILITY_LEVELS as readonly string[]).includes(values.level)) {
      throw new UsageError(`--level must be one of ${COMPATIBILITY_LEVELS.join(', ')}`);
    }
    const level = values.level as CompatibilityLevel | undefined;

    try {
      const loaded = await loadSchemas(positionals);
      const types = topLevelTypes(loaded);
      const reports: TypeReport[] = [];
      const against = values.against;

      if (against === 'registry') {
        const url = values['registry-url'] ?? process.env.SCHEMA_REGISTRY_URL;
        if (!url) throw new UsageError('--against registry needs SCHEMA_REGISTRY_URL or --registry-url');
        const subjectsOf = await subjectsFor(loaded, types, values.subject, values.topics);
        const registry = new SchemaRegistry(registryOptionsFrom(url));
        try {
          for (const entry of types) {
            const next = standaloneSchema(loaded, entry);
            const subjects = subjectsOf.get(entry.key) ?? [];
            if (subjects.length === 0) {
              reports.push(
                unchecked(
                  entry,
                  'registry',
                  'not a key or value in the topic map (checked inside the types that use it)',
                ),
              );
            }
            for (const choice of subjects) {
              const previous = await registered(registry, choice, level, next);
              reports.push(
                previous
                  ? { ...report(entry, next, previous), subject: choice.subject, strategy: choice.strategy }
                  : unchecked(
                      entry,
                      subjectLabel(choice),
                      `${subjectLabel(choice)}: not registered yet: nothing to check`,
                      choice,
                    ),
              );
            }
          }
        } finally {
          registry.close();
        }
      } else {
        const atRevision = against.startsWith('git:')
          ? filesAtRevision(against.slice(4), loaded.files)
          : undefined;
        const previousFiles = atRevision?.files ?? [resolve(against)];
        let previous: LoadedSchemas | undefined;
        try {
          previous = previousFiles.length > 0 ? await loadSchemas(previousFiles) : undefined;
        } finally {
          atRevision?.dispose();
        }
        const byName = new Map(previous ? topLevelOrAll(previous).map((e) => [e.key, e]) : []);
        for (const entry of types) {
          const old = byName.get(entry.key);
          const next = standaloneSchema(loaded, entry);
          reports.push(
            old && previous
              ? report(entry, next, {
                  label: against,
                  schemas: [standaloneSchema(previous, old)],
                  level: level ?? 'BACKWARD',
                })
              : unchecked(entry, against, `not in ${against}: a new type, nothing to check`),
          );
        }
      }

      const compatible = reports.every((r) => !r.result || r.result.compatible);
      process.stdout.write(render(reports, format, stdoutStyle()));
      if (reports.some(registryDisagrees))
        process.stderr.write('avrokit check: the registry and the local check disagree (see above)\n');
      if (nothingChecked(reports)) {
        process.stderr.write(nothingCheckedWarning(reports, against, values['fail-if-nothing-checked']));
        if (values['fail-if-nothing-checked']) return 2;
      }
      return compatible ? 0 : 1;
    } catch (err) {
      // Exit code 1 means incompatible: a registry that cannot be asked is not a verdict.
      if (err instanceof AvrokitError && !(err instanceof UsageError)) {
        process.stderr.write(errorLine(err));
        return 2;
      }
      throw err;
    }
  },
});

const subjectLabel = (c: SubjectChoice) => `subject ${c.subject} (${describeStrategy(c.strategy)})`;

/** Types were given, and not one of them had a previous version: the check proved nothing. */
const nothingChecked = (reports: readonly TypeReport[]) =>
  reports.length > 0 && reports.every((r) => r.result === undefined);

/**
 * Loud, because a check that found nothing to compare passes: a CI job whose subjects are
 * `<topic>-value` but which ran without --topics would otherwise stay green for ever.
 */
function nothingCheckedWarning(
  reports: readonly TypeReport[],
  against: string,
  failing: boolean | undefined,
): string {
  const lines = [`avrokit check: ⚠ nothing was checked: no type has a previous version in ${against}`];
  if (against === 'registry') {
    lines.push('  looked up:');
    for (const r of reports) {
      lines.push(
        `    ${r.name}: ${r.subject ? subjectLabel({ subject: r.subject, strategy: r.strategy! }) : r.note}`,
      );
    }
    if (reports.some((r) => r.strategy === 'RecordNameStrategy'))
      lines.push(
        '  if the subjects are <topic>-value / <topic>-key, pass --topics <topic map> or --subject <subject>',
      );
  }
  lines.push(
    failing
      ? '  exit code 2 (--fail-if-nothing-checked)'
      : '  exit code 0: a first version has nothing to be compatible with; pass --fail-if-nothing-checked to fail instead',
  );
  return `${lines.join('\n')}\n`;
}

function topLevelOrAll(loaded: LoadedSchemas): SchemaEntry[] {
  // A previous version may have been nested in another file; any definition by that name will do.
  return loaded.entries.filter((e) => e.kind !== 'anonymous');
}

function report(entry: SchemaEntry, next: AvroSchemaJson, previous: Previous): TypeReport {
  return {
    name: entry.key,
    file: entry.location.file,
    against: previous.label,
    result: checkEvolution(next, previous.schemas, previous.level),
    ...(previous.registryVerdict !== undefined ? { registryCompatible: previous.registryVerdict } : {}),
  };
}

async function registered(
  registry: SchemaRegistry,
  choice: SubjectChoice,
  level: CompatibilityLevel | undefined,
  next: AvroSchemaJson,
): Promise<Previous | undefined> {
  const { subject } = choice;
  let versions: number[];
  try {
    versions = await registry.listVersions(subject);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  if (versions.length === 0) return undefined;
  const effective = level ?? (await registry.getCompatibility(subject));
  const wanted = effective.endsWith('_TRANSITIVE') ? versions : versions.slice(-1);
  const schemas = await Promise.all(
    wanted.map(async (v) => JSON.parse((await registry.getVersion(subject, v)).schema) as AvroSchemaJson),
  );
  // The registry's compatibility endpoint answers for one version ('latest'), so it can only confirm
  // the non-transitive levels.
  const verdict = effective.endsWith('_TRANSITIVE')
    ? undefined
    : await registry.testCompatibility(subject, next, { verbose: true }).then(
        (r) => r.compatible,
        () => undefined,
      );
  return {
    label: `subject ${subject} (${wanted.length === 1 ? `version ${wanted[0]}` : `versions ${wanted.join(', ')}`}; ${describeStrategy(choice.strategy)})`,
    schemas,
    level: effective,
    ...(level === undefined && verdict !== undefined ? { registryVerdict: verdict } : {}),
  };
}

/** The report with each incompatibility's `why` and `fix`: the same text the human output prints. */
function withExplanations(r: TypeReport): TypeReport {
  if (!r.result) return r;
  const checks = r.result.checks.map((c) => ({
    ...c,
    incompatibilities: c.incompatibilities.map((i) => ({ ...i, ...explain(i, c.direction) })),
  }));
  return { ...r, result: { ...r.result, checks } };
}

const verdict = (compatible: boolean | undefined) => (compatible ? 'compatible' : 'incompatible');

function render(reports: readonly TypeReport[], format: string, style: Style): string {
  if (format === 'json') {
    const compatible = reports.every((r) => !r.result || r.result.compatible);
    const types = reports.map(withExplanations);
    return `${JSON.stringify({ compatible, nothingChecked: nothingChecked(reports), types }, null, 2)}\n`;
  }
  const lines: string[] = [];
  for (const r of reports) {
    if (format === 'github') {
      for (const c of r.result?.checks ?? []) {
        for (const i of c.incompatibilities) {
          const { why, fix } = explain(i, c.direction);
          lines.push(`::error file=${r.file},title=${i.kind} in ${r.name}::${i.path}: ${why}. Fix: ${fix}`);
        }
      }
      if (registryDisagrees(r)) {
        lines.push(`::warning file=${r.file}::${r.name}: the registry says ${verdict(r.registryCompatible)}`);
      }
      continue;
    }
    if (!r.result) {
      lines.push(`• ${r.name}: ${r.note ?? 'not checked'}`);
      continue;
    }
    const count = r.result.checks.reduce((n, c) => n + c.incompatibilities.length, 0);
    lines.push(
      `${r.result.compatible ? style.ok('✔') : style.fail('✖')} ${style.name(r.name)} — ${r.result.level} against ${r.against}: ` +
        (r.result.compatible ? 'compatible' : `${count} incompatibilit${count === 1 ? 'y' : 'ies'}`),
    );
    for (const c of r.result.checks) {
      for (const i of c.incompatibilities) {
        const { why, fix } = explain(i, c.direction);
        lines.push(
          `    ${style.name(i.path)}  ${style.fail(i.kind)} (${c.direction})`,
          `      why: ${why}`,
          `      fix: ${fix}`,
        );
      }
      for (const w of c.warnings)
        lines.push(`    ${style.name(w.path)}  ${style.warn(`warning ${w.kind}`)}: ${w.message}`);
    }
    if (r.registryCompatible !== undefined) {
      lines.push(
        registryDisagrees(r)
          ? `    the registry disagrees: it says ${verdict(r.registryCompatible)}`
          : '    the registry agrees',
      );
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
