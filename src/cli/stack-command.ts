import { UsageError } from '../errors.js';
import {
  exportLines,
  parseBrokerCount,
  resolveStackOptions,
  stackDown,
  stackStatus,
  stackUp,
  type StackStatus,
} from '../stack/index.js';
import { defineCommand, type Command } from './command.js';

const usage = `Usage: avrokit stack <up|down|status> [--brokers N] [--secure]

Runs a local Apache Kafka broker (KRaft) and Apicurio schema registry for development, fetched once
from Maven Central with mvn and started on 127.0.0.1.

  up      start both (or report the running stack) and print eval-able exports:
            eval "$(avrokit stack up)"
          --brokers 3 starts a 3-node cluster (each node broker + controller, replication
          factor 3, min.insync.replicas 2) on every second port from the Kafka port
          --secure also serves a secured cluster beside the plain one: a SASL_SSL listener
          (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) on Kafka port + 20, and the registry behind
          nginx with TLS and basic auth on registry port + 20, with a throwaway CA made by
          keytool; the exports then name the CA file and the users' password files.
          nginx is Debian's package, fetched once with apt-get download (no root needed)
  down    stop exactly the processes 'up' started and delete their data
  status  say what runs

When KAFKA_BROKERS and SCHEMA_REGISTRY_URL are both set to another cluster, 'up' starts nothing.
'down' always stops what 'up' started (the state directory knows), whatever the environment says.
Environment: AVROKIT_CACHE_DIR, AVROKIT_STACK_DIR, AVROKIT_KAFKA_PORT (19092),
AVROKIT_KAFKA_CONTROLLER_PORT (Kafka port + 1), AVROKIT_REGISTRY_PORT (18081),
AVROKIT_KAFKA_BROKERS_COUNT (1), AVROKIT_KAFKA_VERSION, AVROKIT_APICURIO_VERSION, JAVA_HOME,
AVROKIT_STACK_SECURE (1 = --secure), AVROKIT_KAFKA_SECURE_PORT (Kafka port + 20),
AVROKIT_REGISTRY_SECURE_PORT (registry port + 20), AVROKIT_NGINX (an nginx binary to use).`;

const say = (line: string) => process.stderr.write(`avrokit stack: ${line}\n`);

export const stackCommand: Command = defineCommand({
  name: 'stack',
  summary: 'start, stop or inspect a local Kafka broker and schema registry',
  usage,
  options: { brokers: { type: 'string' }, secure: { type: 'boolean' } },
  async run(values, positionals) {
    const action = positionals[0];
    if (positionals.length !== 1 || (action !== 'up' && action !== 'down' && action !== 'status')) {
      throw new UsageError(`expected one of up, down, status (got ${positionals.join(' ') || 'nothing'})`);
    }
    if (values.brokers !== undefined && action !== 'up') {
      throw new UsageError(
        `--brokers is an option of 'stack up' (down and status find the nodes up started)`,
      );
    }
    if (values.secure !== undefined && action !== 'up') {
      throw new UsageError(`--secure is an option of 'stack up' (down and status find what up started)`);
    }
    if (action === 'up') {
      const started = Date.now();
      const options = resolveStackOptions();
      const result = await stackUp({
        ...options,
        ...(values.brokers === undefined ? {} : { brokers: parseBrokerCount(values.brokers, '--brokers') }),
        ...(values.secure ? { secure: true } : {}),
      });
      const { secure } = result.endpoints;
      const where =
        `Kafka at ${result.endpoints.brokers.join(',')}, registry at ${result.endpoints.registryUrl}` +
        (secure
          ? `; secured: Kafka SASL_SSL at ${secure.brokers.join(',')}, registry at ${secure.registryUrl}`
          : '');
      if (result.outcome === 'external') say(`using the existing cluster from the environment: ${where}`);
      else if (result.outcome === 'already-running')
        say(`already running${result.nodes === 1 ? '' : ` (${result.nodes} Kafka nodes)`}: ${where}`);
      else {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        say(
          `started Kafka ${result.versions?.kafka}${result.nodes === 1 ? '' : ` (${result.nodes} nodes)`} and Apicurio Registry ${result.versions?.registry} in ${seconds}s: ${where}`,
        );
      }
      // Another cluster's exports carry no state directory: nothing of it lives here.
      process.stdout.write(
        exportLines(result.endpoints, result.outcome === 'external' ? undefined : options.stateDir),
      );
      return 0;
    }
    if (action === 'down') {
      const outcome = await stackDown();
      say(
        outcome === 'stopped'
          ? 'stopped Kafka and the schema registry (and nginx, where up --secure started it) and deleted their data'
          : outcome === 'external'
            ? 'no local stack was started here; KAFKA_BROKERS and SCHEMA_REGISTRY_URL name another cluster, which is not stopped'
            : 'not running',
      );
      return 0;
    }
    process.stdout.write(`${describeStatus(stackStatus())}\n`);
    return 0;
  },
});

/**
 * One line: `running: Kafka 4.4.0 (pid 7) at 127.0.0.1:19092; Apicurio Registry …` for one node, and
 * each node with its pid and address for a cluster.
 */
export function describeStatus(status: StackStatus): string {
  switch (status.state) {
    case 'external':
      return `external: Kafka at ${status.endpoints.brokers.join(',')}, registry at ${status.endpoints.registryUrl}`;
    case 'running': {
      const { kafka, registry, nginx, secure } = status.detail;
      const version = kafka[0]?.version ?? '?';
      const nodes =
        kafka.length === 1
          ? `Kafka ${version} (pid ${kafka[0]!.pid}) at ${status.endpoints.brokers.join(',')}`
          : `Kafka ${version}, ${kafka.length} nodes: ${kafka.map((n, i) => `node ${n.nodeId} (pid ${n.pid}) at ${status.endpoints.brokers[i]}`).join(', ')}`;
      const secured =
        secure && nginx
          ? `; secured: Kafka SASL_SSL (${secure.saslMechanisms.join(', ')}) at ${secure.brokers.join(',')}, registry over HTTPS with basic auth through nginx ${nginx.version} (pid ${nginx.pid}) at ${secure.registryUrl}, CA ${secure.caFile}`
          : '';
      return `running: ${nodes}; Apicurio Registry ${registry.version} (pid ${registry.pid}) at ${status.endpoints.registryUrl}${secured}`;
    }
    case 'degraded':
      return `degraded: ${status.dead.join(' and ')} stopped unexpectedly; run 'avrokit stack down' then 'up'`;
    case 'stopped':
      return 'stopped';
  }
}
