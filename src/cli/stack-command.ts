import { UsageError } from '../errors.js';
import { exportLines, stackDown, stackStatus, stackUp } from '../stack/index.js';
import { defineCommand, type Command } from './command.js';

const usage = `Usage: avrokit stack <up|down|status>

Runs a local Apache Kafka broker (KRaft) and Apicurio schema registry for development, fetched once
from Maven Central with mvn and started on 127.0.0.1.

  up      start both (or report the running stack) and print eval-able exports:
            eval "$(avrokit stack up)"
  down    stop exactly the processes 'up' started and delete their data
  status  say what runs

When KAFKA_BROKERS and SCHEMA_REGISTRY_URL are both set to another cluster, 'up' starts nothing.
'down' always stops what 'up' started (the state directory knows), whatever the environment says.
Environment: AVROKIT_CACHE_DIR, AVROKIT_STACK_DIR, AVROKIT_KAFKA_PORT (19092),
AVROKIT_REGISTRY_PORT (18081), AVROKIT_KAFKA_VERSION, AVROKIT_APICURIO_VERSION, JAVA_HOME.`;

const say = (line: string) => process.stderr.write(`avrokit stack: ${line}\n`);

export const stackCommand: Command = defineCommand({
  name: 'stack',
  summary: 'start, stop or inspect a local Kafka broker and schema registry',
  usage,
  options: {},
  async run(_values, positionals) {
    const action = positionals[0];
    if (positionals.length !== 1 || (action !== 'up' && action !== 'down' && action !== 'status')) {
      throw new UsageError(`expected one of up, down, status (got ${positionals.join(' ') || 'nothing'})`);
    }
    if (action === 'up') {
      const started = Date.now();
      const result = await stackUp();
      const where = `Kafka at ${result.endpoints.brokers.join(',')}, registry at ${result.endpoints.registryUrl}`;
      if (result.outcome === 'external') say(`using the existing cluster from the environment: ${where}`);
      else if (result.outcome === 'already-running') say(`already running: ${where}`);
      else {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        say(
          `started Kafka ${result.versions?.kafka} and Apicurio Registry ${result.versions?.registry} in ${seconds}s: ${where}`,
        );
      }
      process.stdout.write(exportLines(result.endpoints));
      return 0;
    }
    if (action === 'down') {
      const outcome = await stackDown();
      say(
        outcome === 'stopped'
          ? 'stopped Kafka and the schema registry and deleted their data'
          : outcome === 'external'
            ? 'no local stack was started here; KAFKA_BROKERS and SCHEMA_REGISTRY_URL name another cluster, which is not stopped'
            : 'not running',
      );
      return 0;
    }
    const status = stackStatus();
    switch (status.state) {
      case 'external':
        process.stdout.write(
          `external: Kafka at ${status.endpoints.brokers.join(',')}, registry at ${status.endpoints.registryUrl}\n`,
        );
        break;
      case 'running':
        process.stdout.write(
          `running: Kafka ${status.detail.kafka.version} (pid ${status.detail.kafka.pid}) at ${status.endpoints.brokers.join(',')}; ` +
            `Apicurio Registry ${status.detail.registry.version} (pid ${status.detail.registry.pid}) at ${status.endpoints.registryUrl}\n`,
        );
        break;
      case 'degraded':
        process.stdout.write(
          `degraded: ${status.dead.join(' and ')} stopped unexpectedly; run 'avrokit stack down' then 'up'\n`,
        );
        break;
      case 'stopped':
        process.stdout.write('stopped\n');
    }
    return 0;
  },
});
