import { join } from 'node:path';
import { StackError } from '../errors.js';
import { run } from './processes.js';

export interface Toolchain {
  readonly java: string;
  readonly javaMajor: number;
  readonly mvn: string;
}

const MIN_JAVA = 17;

/** `java -version` prints `openjdk version "17.0.15"` (or `"1.8.0_392"` for Java 8) on stderr. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

export function findJava(env: NodeJS.ProcessEnv = process.env): { java: string; javaMajor: number } {
  const java = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
  const probe = run(java, ['-version']);
  if (probe.error || probe.status !== 0) {
    throw new StackError(
      'STACK_JAVA_MISSING',
      `Java ${MIN_JAVA}+ is required to run Kafka and the schema registry, but "${java}" could not be run` +
        (env.JAVA_HOME ? ' (from JAVA_HOME)' : ' (not on PATH; install a JDK or set JAVA_HOME)'),
      { context: { java } },
    );
  }
  const javaMajor = parseJavaMajor(probe.stderr + probe.stdout);
  if (javaMajor === undefined || javaMajor < MIN_JAVA) {
    throw new StackError(
      'STACK_JAVA_MISSING',
      `Java ${MIN_JAVA}+ is required, but "${java}" is Java ${javaMajor ?? 'of an unknown version'}`,
      { context: { java } },
    );
  }
  return { java, javaMajor };
}

export function findMaven(): string {
  const probe = run('mvn', ['-v']);
  if (probe.error || probe.status !== 0) {
    throw new StackError(
      'STACK_MAVEN_MISSING',
      'Maven (mvn) is required to fetch Kafka and the schema registry from Maven Central, but it is not on PATH',
    );
  }
  return 'mvn';
}

export function findToolchain(): Toolchain {
  return { ...findJava(), mvn: findMaven() };
}
