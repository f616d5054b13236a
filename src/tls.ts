import type { SecureContextOptions } from 'node:tls';

/**
 * TLS to a server — the brokers (Java's `security.protocol=SSL` or `SASL_SSL`) or the schema registry
 * (`https://`). Without `ca`, Node's bundled root certificates are trusted; the certificate and the host
 * name are always verified unless `rejectUnauthorized` is false.
 */
export interface TlsOptions {
  /** Trusted CA certificate(s), PEM (Java's `ssl.truststore.*`). */
  readonly ca?: SecureContextOptions['ca'];
  /** Client certificate chain for mutual TLS, PEM (Java's `ssl.keystore.*`). */
  readonly cert?: SecureContextOptions['cert'];
  /** Client private key for mutual TLS, PEM. */
  readonly key?: SecureContextOptions['key'];
  /** Passphrase of an encrypted `key` (Java's `ssl.key.password`). */
  readonly passphrase?: string;
  /**
   * The name the server's certificate is checked against (and sent as SNI). Default: the host of each
   * broker address, or the registry URL's host, as Java's `ssl.endpoint.identification.algorithm=https` does.
   */
  readonly servername?: string;
  /** Verify the server's certificate. Only for a throwaway test cluster. @default true */
  readonly rejectUnauthorized?: boolean;
}
