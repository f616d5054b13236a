import { OptionsError } from '../errors.js';

/** Maven coordinates of one artifact. */
export type Coordinates = readonly [groupId: string, artifactId: string, version: string];

/**
 * How the broker logs. Kafka's jars only speak SLF4J and leave the backend to the distribution, and the
 * distributions changed it: 3.x ships reload4j (log4j 1 properties), 4.0 moved to Log4j 2 (KIP-653) —
 * kafka-server 4.x depends on log4j-core itself and its dynamic logger configuration talks to Log4j 2.
 * Without a backend the broker logs nothing at all, which makes start-up failures undiagnosable.
 */
export interface KafkaLogging {
  /** The SLF4J binding and backend to put on the classpath next to Kafka's jars. */
  readonly dependencies: readonly Coordinates[];
  /** File name for the configuration, in the server's work directory. */
  readonly configFileName: string;
  /** The configuration that writes INFO and above to `logFile`, minus the noisiest loggers. */
  configuration(logFile: string): string;
  /** The JVM system property that points the backend at the configuration file. */
  jvmFlag(configFile: string): string;
}

// The Log4j 2 release Kafka 4.4.0's own kafka-server depends on; the binding, API and core are pinned
// together because mismatched Log4j 2 API and core jars fail at start-up.
const LOG4J2_VERSION = '2.25.5';

/** Loggers that report every segment roll and index load; warnings are enough on a developer stack. */
const QUIET_LOGGERS = ['kafka.log', 'org.apache.kafka.storage'];
const PATTERN = '[%d] %p %m (%c)%n';

const reload4j: KafkaLogging = {
  dependencies: [
    ['org.slf4j', 'slf4j-reload4j', '1.7.36'],
    ['ch.qos.reload4j', 'reload4j', '1.2.25'],
  ],
  configFileName: 'kafka-log4j.properties',
  configuration: (logFile) =>
    [
      'log4j.rootLogger=INFO, file',
      ...QUIET_LOGGERS.map((name) => `log4j.logger.${name}=WARN`),
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${logFile}`,
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      `log4j.appender.file.layout.ConversionPattern=${PATTERN}`,
      '',
    ].join('\n'),
  jvmFlag: (configFile) => `-Dlog4j.configuration=file:${configFile}`,
};

const log4j2: KafkaLogging = {
  dependencies: [
    // Kafka 4.x still builds against SLF4J 1.7, so the binding is log4j-slf4j-impl, not -slf4j2-impl.
    ['org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J2_VERSION],
    ['org.apache.logging.log4j', 'log4j-api', LOG4J2_VERSION],
    ['org.apache.logging.log4j', 'log4j-core', LOG4J2_VERSION],
  ],
  // The properties format needs no extra parser on the classpath (YAML would need jackson-dataformat-yaml).
  configFileName: 'kafka-log4j2.properties',
  configuration: (logFile) =>
    [
      'status=warn',
      'appender.file.type=File',
      'appender.file.name=file',
      `appender.file.fileName=${logFile}`,
      'appender.file.layout.type=PatternLayout',
      `appender.file.layout.pattern=${PATTERN}`,
      'rootLogger.level=INFO',
      'rootLogger.appenderRef.file.ref=file',
      ...QUIET_LOGGERS.flatMap((name, i) => [`logger.quiet${i}.name=${name}`, `logger.quiet${i}.level=WARN`]),
      '',
    ].join('\n'),
  jvmFlag: (configFile) => `-Dlog4j2.configurationFile=${configFile}`,
};

/** The major version of a Kafka release (`3` for `3.9.2`, `4` for `4.4.0`). */
export function kafkaMajor(version: string): number {
  const match = /^(\d+)\.\d+/.exec(version);
  if (!match?.[1]) {
    throw new OptionsError(
      'AVROKIT_KAFKA_VERSION',
      `"${version}" is not a Kafka release number such as 3.9.2 or 4.4.0`,
    );
  }
  const major = Number(match[1]);
  // The stack runs KRaft without ZooKeeper, which 2.x offered only as an early-access preview.
  if (major < 3) {
    throw new OptionsError(
      'AVROKIT_KAFKA_VERSION',
      `the local stack runs Kafka 3.x or newer in KRaft mode, not ${version}`,
    );
  }
  return major;
}

export function kafkaLogging(version: string): KafkaLogging {
  return kafkaMajor(version) >= 4 ? log4j2 : reload4j;
}
