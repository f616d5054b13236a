import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from '../errors.js';
import { kafkaLogging, type Coordinates } from './kafka-version.js';
import type { StackOptions } from './options.js';
import { run, type CommandResult } from './processes.js';

/**
 * Distributions are fetched from Maven Central with `mvn` into `<cacheDir>/<name>-<version>`. Each is
 * built in a `.partial` directory and renamed into place only when complete, so an interrupted download
 * is never mistaken for a usable one and is simply redone on the next run.
 */

// dependency:get 2.8 (Maven 3.8's default) fetches an artifact without resolving its parent POM, which
// matters because some releases (Apicurio 3.0.9) are published without theirs.
const GET_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:2.8:get';
const COPY_DEPENDENCIES = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies';

export interface KafkaDistribution {
  readonly version: string;
  readonly classpath: string;
}

export interface ApicurioDistribution {
  readonly version: string;
  readonly dir: string;
  /** JVM arguments that launch the application (`-jar …`), which differ between packaging styles. */
  readonly launch: readonly string[];
}

function mavenFailure(result: CommandResult): string {
  if (result.error) return result.error.message;
  // eslint-disable-next-line no-control-regex
  const lines = `${result.stdout}\n${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const errors = lines.map((l) => l.replace(/^\s*\[ERROR\]\s*/, '').trim()).filter(Boolean);
  const line = errors.find((l) => /Could not|was not found|Unable to|Couldn't/.test(l)) ?? errors[0];
  if (!line) return `mvn exited with status ${result.status}`;
  // Keep Maven's innermost reason ("Could not find artifact X in central (url)"), not the goal boilerplate.
  const innermost = Math.max(line.lastIndexOf('Could not find'), line.lastIndexOf('Could not transfer'));
  return (innermost >= 0 ? line.slice(innermost) : line).replace(/\s*-> \[Help 1\]$/, '');
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function fetchInto(finalDir: string, what: string, fill: (partialDir: string) => void): string {
  if (existsSync(finalDir)) return finalDir;
  const partial = `${finalDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  process.stderr.write(`avrokit stack: fetching ${what} from Maven Central (once; cached in ${finalDir})\n`);
  try {
    fill(partial);
    renameSync(partial, finalDir);
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
  return finalDir;
}

function runtimePom(name: string, version: string, dependencies: readonly Coordinates[]): string {
  const deps = dependencies
    .map(
      ([g, a, v]) =>
        `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`,
    )
    .join('\n');
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.avrokit.stack</groupId>
  <artifactId>${name}</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`;
}

/** Fetches artifacts and their runtime dependencies into `<cacheDir>/<name>-<version>/libs`; returns that classpath. */
function ensureClasspath(
  options: StackOptions,
  mvn: string,
  name: string,
  version: string,
  dependencies: readonly Coordinates[],
): string {
  const artifact = dependencies.map((d) => d.join(':')).join(', ');
  const pom = runtimePom(name, version, dependencies);
  const cached = join(options.cacheDir, `${name}-${version}`);
  // A classpath cached by an avrokit that asked for other jars (Kafka 4.x once got the 3.x logging
  // backend) is rebuilt rather than run with the wrong ones; the pom it was built from is kept beside it.
  if (existsSync(cached) && readIfExists(join(cached, 'pom.xml')) !== pom) {
    rmSync(cached, { recursive: true, force: true });
  }
  const dir = fetchInto(cached, artifact, (partial) => {
    writeFileSync(join(partial, 'pom.xml'), pom);
    const result = run(
      mvn,
      [
        '-B',
        '-q',
        '-U',
        COPY_DEPENDENCIES,
        '-DincludeScope=runtime',
        `-DoutputDirectory=${join(partial, 'libs')}`,
      ],
      partial,
    );
    if (result.status !== 0) {
      throw new StackError(
        'STACK_DOWNLOAD_FAILED',
        `could not fetch ${artifact} and its dependencies: ${mavenFailure(result)}`,
        { retriable: true, context: { artifact } },
      );
    }
  });
  return join(dir, 'libs', '*');
}

/**
 * The broker: `kafka_2.13` (Scala 2.13 is the only build 4.x publishes) brings kafka-server,
 * kafka-storage, kafka-raft and the rest as runtime dependencies in 3.x and 4.x alike; only the logging
 * backend differs between the two (see kafka-version.ts).
 */
export function ensureKafka(options: StackOptions, mvn: string): KafkaDistribution {
  const version = options.kafkaVersion;
  const classpath = ensureClasspath(options, mvn, 'kafka', version, [
    ['org.apache.kafka', 'kafka_2.13', version],
    ...kafkaLogging(version).dependencies,
  ]);
  return { version, classpath };
}

/**
 * Apache Avro's Java library, the reference implementation (tests use it as an oracle), with its
 * compiler, which generates the specific classes a Java application reads records into.
 */
export function ensureAvroJava(options: StackOptions, mvn: string, version = '1.12.2'): KafkaDistribution {
  const classpath = ensureClasspath(options, mvn, 'avro-java', version, [
    ['org.apache.avro', 'avro', version],
    ['org.apache.avro', 'avro-compiler', version],
    ['org.slf4j', 'slf4j-nop', '2.0.17'],
  ]);
  return { version, classpath };
}

/** Kafka's command-line tools (ProducerPerformance, …), for benchmarks against the Java client. */
export function ensureKafkaTools(options: StackOptions, mvn: string): KafkaDistribution {
  const version = options.kafkaVersion;
  const classpath = ensureClasspath(options, mvn, 'kafka-tools', version, [
    ['org.apache.kafka', 'kafka-tools', version],
    ...kafkaLogging(version).dependencies,
  ]);
  return { version, classpath };
}

function findLaunch(dir: string): readonly string[] | undefined {
  // Apicurio 3.1+ ships Quarkus' fast-jar layout; earlier 3.0.x releases a single legacy runner jar.
  if (existsSync(join(dir, 'quarkus-app', 'quarkus-run.jar')))
    return ['-jar', join(dir, 'quarkus-app', 'quarkus-run.jar')];
  const runner = readdirSync(dir).find((f) => f.endsWith('-runner.jar'));
  return runner ? ['-jar', join(dir, runner)] : undefined;
}

export function ensureApicurio(options: StackOptions, mvn: string): ApicurioDistribution {
  const version = options.apicurioVersion;
  const artifact = `io.apicurio:apicurio-registry-app:${version}:tar.gz:all`;
  const dir = fetchInto(
    join(options.cacheDir, `apicurio-${version}`),
    `Apicurio Registry ${version}`,
    (partial) => {
      const archive = join(partial, 'app.tar.gz');
      const result = run(mvn, [
        '-B',
        '-q',
        '-U',
        GET_PLUGIN,
        `-Dartifact=${artifact}`,
        '-Dtransitive=false',
        `-Ddest=${archive}`,
      ]);
      if (result.status !== 0 || !existsSync(archive)) {
        throw new StackError(
          'STACK_DOWNLOAD_FAILED',
          `could not fetch ${artifact}: ${mavenFailure(result)}`,
          {
            retriable: true,
            context: { artifact },
          },
        );
      }
      const untar = run('tar', ['-xzf', archive, '-C', partial]);
      rmSync(archive);
      if (untar.status !== 0) {
        throw new StackError(
          'STACK_DOWNLOAD_FAILED',
          `could not unpack ${artifact}: ${untar.stderr.trim()}`,
          {
            context: { artifact },
          },
        );
      }
      if (!findLaunch(partial)) {
        throw new StackError('STACK_DOWNLOAD_FAILED', `${artifact} holds no runnable Quarkus jar`, {
          context: { artifact },
        });
      }
    },
  );
  const launch = findLaunch(dir);
  if (!launch) {
    throw new StackError(
      'STACK_DOWNLOAD_FAILED',
      `cached ${dir} holds no runnable jar; delete it to fetch again`,
    );
  }
  return { version, dir, launch };
}
