import { UsageError } from '../errors.js';

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
