/**
 * How the producer connects to a secured cluster: TLS (SSL or SASL_SSL listeners) and SASL, in
 * avrokit's own types, mapped onto kafkajs' `ssl`/`sasl` (kafkajs stays the network layer). Named and
 * behaving like the Java client's `security.protocol`, `ssl.*` and `sasl.*` settings where they meet.
 */
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { isIP } from 'node:net';
import type { SASLOptions } from 'kafkajs';
import { OptionsError, isTlsErrorCode } from '../errors.js';
import type { TlsOptions } from '../tls.js';
import { TlsHandshakeError } from './errors.js';

/** The SASL mechanisms avrokit supports, named as kafkajs names them (Java: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). */
export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export const SASL_MECHANISMS: readonly SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

/**
 * SASL authentication on every connection (Java's `sasl.mechanism` + `sasl.jaas.config`). PLAIN sends
 * the password itself, so use it over TLS only; SCRAM never sends it. The password is kept by the
 * network layer and appears in no error, log line or `stats()`.
 */
export interface KafkaSaslOptions {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
}

/** kafkajs' `ssl` option, built from ours: only what was given, so kafkajs' own defaults stay. */
export function kafkajsSsl(tls: TlsOptions | boolean | undefined): ConnectionOptions | boolean | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return true;
  if (typeof tls !== 'object' || tls === null)
    throw new OptionsError('tls', 'must be true or an object of TLS options');
  const out: Record<string, unknown> = {};
  for (const key of ['ca', 'cert', 'key', 'passphrase', 'servername', 'rejectUnauthorized'] as const) {
    if (tls[key] !== undefined) out[key] = tls[key];
  }
  if ((out.cert === undefined) !== (out.key === undefined)) {
    throw new OptionsError('tls', 'mutual TLS needs both cert and key');
  }
  if (out.servername !== undefined && (typeof out.servername !== 'string' || out.servername === '')) {
    throw new OptionsError('tls.servername', 'must be a host name');
  }
  return out as ConnectionOptions;
}

/** kafkajs' `sasl` option; refuses what kafkajs would only refuse on connect, never echoing the password. */
export function kafkajsSasl(sasl: KafkaSaslOptions | undefined): SASLOptions | undefined {
  if (sasl === undefined) return undefined;
  if (typeof sasl !== 'object' || sasl === null) {
    throw new OptionsError('sasl', 'must be { mechanism, username, password }');
  }
  const mechanism =
    typeof sasl.mechanism === 'string' ? (sasl.mechanism.toLowerCase() as SaslMechanism) : undefined;
  if (!mechanism || !SASL_MECHANISMS.includes(mechanism)) {
    throw new OptionsError(
      'sasl.mechanism',
      `must be one of ${SASL_MECHANISMS.join(', ')}, got ${typeof sasl.mechanism === 'string' ? JSON.stringify(sasl.mechanism) : typeof sasl.mechanism}`,
    );
  }
  if (typeof sasl.username !== 'string' || sasl.username === '') {
    throw new OptionsError('sasl.username', 'must be a non-empty string');
  }
  if (typeof sasl.password !== 'string' || sasl.password === '') {
    throw new OptionsError('sasl.password', 'must be a non-empty string');
  }
  return { mechanism, username: sasl.username, password: sasl.password } as SASLOptions;
}

/**
 * One TLS handshake with a bootstrap broker before kafkajs connects. kafkajs reports a refused
 * certificate as a retriable connection error and tries again for seconds; Java's client fails at
 * once with an SslAuthenticationException, which is what this gives: a TlsHandshakeError naming the
 * broker (the producer's PRODUCER_TLS_FAILED). A broker that does not answer at all is left to kafkajs (the next address, retries).
 */
export async function checkTlsHandshake(
  brokers: readonly string[],
  ssl: ConnectionOptions | true,
  timeoutMs: number,
): Promise<void> {
  for (const broker of brokers) {
    const at = broker.lastIndexOf(':');
    const host = broker.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(broker.slice(at + 1));
    if (at <= 0 || !Number.isInteger(port)) continue;
    const outcome = await new Promise<'ok' | 'unreachable' | TlsHandshakeError>((resolve) => {
      let tcpConnected = false;
      const socket = tlsConnect(
        {
          host,
          port,
          // As kafkajs: SNI with a host name, never with an IP address (RFC 6066).
          ...(isIP(host) ? {} : { servername: host }),
          ...(ssl === true ? {} : ssl),
        },
        () => {
          socket.destroy();
          resolve('ok');
        },
      );
      socket.setTimeout(timeoutMs, () => {
        socket.destroy();
        resolve('unreachable');
      });
      socket.once('connect', () => (tcpConnected = true));
      socket.once('error', (err: NodeJS.ErrnoException) => {
        socket.destroy();
        // Refused or unreachable is kafkajs' to retry; failing once connected is the handshake failing.
        if (!tcpConnected && !isTlsErrorCode(err.code)) resolve('unreachable');
        else resolve(new TlsHandshakeError(broker, err.code, err.message));
      });
    });
    if (outcome === 'ok') return;
    if (outcome instanceof TlsHandshakeError) throw outcome;
  }
}
