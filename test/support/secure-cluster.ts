import { readFileSync } from 'node:fs';
import { stackDown, stackStatus, stackUp } from '../../src/stack/index.js';
import { resolveStackOptions, type StackOptions } from '../../src/stack/options.js';
import type { SecureEndpoints } from '../../src/stack/stack.js';

/** The secured side of the test stack, with the secrets read from their files (for tests only). */
export interface SecureTestCluster {
  /** The plain listener and registry of the same stack (for reading back, creating topics). */
  readonly plainBrokers: string[];
  readonly plainRegistryUrl: string;
  readonly endpoints: SecureEndpoints;
  readonly ca: string;
  readonly kafkaPassword: string;
  readonly registryPassword: string;
  /** Stops the stack if this module started it. */
  release(): Promise<void>;
}

/** Secured endpoints named by the environment (`npm test` exports what `stack up --secure` printed). */
function fromEnvironment(
  env: NodeJS.ProcessEnv,
): { endpoints: SecureEndpoints; brokers: string[]; registryUrl: string } | undefined {
  const names = [
    'KAFKA_BROKERS',
    'SCHEMA_REGISTRY_URL',
    'AVROKIT_KAFKA_SECURE_BROKERS',
    'AVROKIT_SECURE_REGISTRY_URL',
    'AVROKIT_CA_FILE',
    'AVROKIT_MTLS_REGISTRY_URL',
    'AVROKIT_CLIENT_CERT_FILE',
    'AVROKIT_CLIENT_KEY_FILE',
    'AVROKIT_KAFKA_USERNAME',
    'AVROKIT_KAFKA_PASSWORD_FILE',
    'AVROKIT_REGISTRY_USERNAME',
    'AVROKIT_REGISTRY_PASSWORD_FILE',
  ] as const;
  if (!names.every((n) => env[n])) return undefined;
  return {
    brokers: env.KAFKA_BROKERS!.split(','),
    registryUrl: env.SCHEMA_REGISTRY_URL!,
    endpoints: {
      brokers: env.AVROKIT_KAFKA_SECURE_BROKERS!.split(','),
      registryUrl: env.AVROKIT_SECURE_REGISTRY_URL!,
      caFile: env.AVROKIT_CA_FILE!,
      mutualTlsRegistryUrl: env.AVROKIT_MTLS_REGISTRY_URL!,
      clientCertFile: env.AVROKIT_CLIENT_CERT_FILE!,
      clientKeyFile: env.AVROKIT_CLIENT_KEY_FILE!,
      saslMechanisms: (env.AVROKIT_KAFKA_SASL_MECHANISMS ?? '').split(','),
      kafkaUsername: env.AVROKIT_KAFKA_USERNAME!,
      kafkaPasswordFile: env.AVROKIT_KAFKA_PASSWORD_FILE!,
      registryUsername: env.AVROKIT_REGISTRY_USERNAME!,
      registryPasswordFile: env.AVROKIT_REGISTRY_PASSWORD_FILE!,
    },
  };
}

/**
 * A stack of its own for when the shared one is not secured (a plain stack the developer runs, or an
 * external cluster): its own state directory and ports 300 above the configured ones.
 */
function ownSecureStackOptions(base: StackOptions = resolveStackOptions()): StackOptions {
  const shift = 300;
  return {
    ...base,
    secure: true,
    stateDir: `${base.stateDir}-secure-tests`,
    kafkaPort: base.kafkaPort + shift,
    controllerPort: base.controllerPort + shift,
    registryPort: base.registryPort + shift,
    secureKafkaPort: base.secureKafkaPort + shift,
    secureRegistryPort: base.secureRegistryPort + shift,
  };
}

/**
 * The secured cluster for tests: the one the environment names (`npm test` starts the shared stack
 * with --secure), else a secured stack already running from the configured state directory, else one
 * this starts itself (and `release` stops).
 */
export async function secureTestCluster(): Promise<SecureTestCluster> {
  let found = fromEnvironment(process.env);
  let started: StackOptions | undefined;
  if (!found) {
    const status = stackStatus(resolveStackOptions());
    if (status.state === 'running' && status.endpoints.secure) {
      found = {
        brokers: status.endpoints.brokers,
        registryUrl: status.endpoints.registryUrl,
        endpoints: status.endpoints.secure,
      };
    } else {
      const options = ownSecureStackOptions();
      const up = await stackUp(options);
      if (up.outcome === 'started') started = options;
      if (!up.endpoints.secure) throw new Error(`the stack in ${options.stateDir} is not secured`);
      found = {
        brokers: up.endpoints.brokers,
        registryUrl: up.endpoints.registryUrl,
        endpoints: up.endpoints.secure,
      };
    }
  }
  const { endpoints } = found;
  return {
    plainBrokers: found.brokers,
    plainRegistryUrl: found.registryUrl,
    endpoints,
    ca: readFileSync(endpoints.caFile, 'utf8'),
    kafkaPassword: readFileSync(endpoints.kafkaPasswordFile, 'utf8').trim(),
    registryPassword: readFileSync(endpoints.registryPasswordFile, 'utf8').trim(),
    release: async () => {
      if (started) await stackDown(started);
    },
  };
}
