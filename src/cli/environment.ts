import { readFileSync } from 'node:fs';
import { InputError, UsageError } from '../errors.js';
import { SASL_MECHANISMS, type KafkaSaslOptions, type SaslMechanism } from '../kafka/security.js';
import type { TlsOptions } from '../tls.js';
import type { SchemaRegistryOptions } from '../registry/options.js';

/** Bootstrap brokers from `--brokers`, else KAFKA_BROKERS (what `eval "$(avrokit stack up)"` sets). */
export function brokersFrom(option: string | undefined): string[] {
  const brokers = (option ?? process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new UsageError('give the brokers with --brokers or KAFKA_BROKERS');
  return brokers;
}

/** The registry from `--registry-url`, else SCHEMA_REGISTRY_URL. */
export function registryUrlFrom(option: string | undefined): string {
  const url = option ?? process.env.SCHEMA_REGISTRY_URL;
  if (!url) throw new UsageError('give the registry with --registry-url or SCHEMA_REGISTRY_URL');
  return url;
}

/** A positive integer option, or undefined when not given. */
export function positiveIntegerOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`--${name} must be a positive integer, got ${raw}`);
  }
  return value;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A file a variable names (a CA, a certificate, a key, a password), read whole; the error names the variable and the path, never the content. */
function fileOf(env: Env, name: string): string | undefined {
  const path = env[name]?.trim();
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read';
    throw new InputError(`${name}=${path}: ${why}`, { variable: name, file: path });
  }
}

/** A password from NAME, else from the file NAME_FILE names (what `avrokit stack up --secure` exports). */
function secretOf(env: Env, name: string): string | undefined {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return direct;
  return fileOf(env, `${name}_FILE`)?.replace(/\r?\n$/, '');
}

/** Client certificate and key for mutual TLS: both or neither. */
function clientCertificate(env: Env, prefix: string): { cert: string; key: string } | undefined {
  const cert = fileOf(env, `${prefix}_CERT_FILE`);
  const key = fileOf(env, `${prefix}_KEY_FILE`);
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError(`mutual TLS needs both ${prefix}_CERT_FILE and ${prefix}_KEY_FILE`);
  }
  return cert !== undefined && key !== undefined ? { cert, key } : undefined;
}

/**
 * TLS and SASL for the brokers from the environment, as the producer takes them:
 * KAFKA_CA_FILE (TLS, trusting that CA), KAFKA_TLS=1 (TLS, trusting Node's root certificates),
 * KAFKA_CERT_FILE + KAFKA_KEY_FILE (mutual TLS), and KAFKA_SASL_MECHANISM (plain, scram-sha-256,
 * scram-sha-512) with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE).
 */
export function kafkaSecurityFrom(env: Env = process.env): {
  tls?: TlsOptions | true;
  sasl?: KafkaSaslOptions;
} {
  const ca = fileOf(env, 'KAFKA_CA_FILE');
  const client = clientCertificate(env, 'KAFKA');
  const flag = env.KAFKA_TLS?.trim().toLowerCase();
  if (flag !== undefined && flag !== '' && !['1', 'true', '0', 'false'].includes(flag)) {
    throw new UsageError(`KAFKA_TLS must be 1 or 0, got ${env.KAFKA_TLS}`);
  }
  const tls: TlsOptions | true | undefined =
    ca !== undefined || client !== undefined
      ? { ...(ca !== undefined ? { ca } : {}), ...client }
      : flag === '1' || flag === 'true'
        ? true
        : undefined;
  const mechanism = env.KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  const username = env.KAFKA_SASL_USERNAME;
  const password = secretOf(env, 'KAFKA_SASL_PASSWORD');
  if (!mechanism) {
    if (username || password) throw new UsageError('KAFKA_SASL_USERNAME/PASSWORD need KAFKA_SASL_MECHANISM');
    return tls ? { tls } : {};
  }
  if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
    throw new UsageError(
      `KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')}, got ${env.KAFKA_SASL_MECHANISM}`,
    );
  }
  if (!username || !password) {
    throw new UsageError(
      `KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)`,
    );
  }
  return {
    ...(tls ? { tls } : {}),
    sasl: { mechanism: mechanism as SaslMechanism, username, password },
  };
}

/**
 * The registry's URL with TLS and basic auth from the environment: SCHEMA_REGISTRY_CA_FILE,
 * SCHEMA_REGISTRY_CERT_FILE + SCHEMA_REGISTRY_KEY_FILE (mutual TLS), SCHEMA_REGISTRY_USERNAME with
 * SCHEMA_REGISTRY_PASSWORD (or SCHEMA_REGISTRY_PASSWORD_FILE). User-info in the URL works too.
 */
export function registryOptionsFrom(url: string, env: Env = process.env): SchemaRegistryOptions {
  const ca = fileOf(env, 'SCHEMA_REGISTRY_CA_FILE');
  const client = clientCertificate(env, 'SCHEMA_REGISTRY');
  const username = env.SCHEMA_REGISTRY_USERNAME;
  const password = secretOf(env, 'SCHEMA_REGISTRY_PASSWORD');
  if ((username === undefined || username === '') !== (password === undefined)) {
    throw new UsageError(
      'basic auth needs both SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD (or _FILE)',
    );
  }
  const tls =
    ca !== undefined || client !== undefined ? { ...(ca !== undefined ? { ca } : {}), ...client } : undefined;
  return {
    url,
    ...(tls ? { tls } : {}),
    ...(username && password !== undefined ? { auth: { username, password } } : {}),
  };
}
