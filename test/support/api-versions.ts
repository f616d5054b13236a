/**
 * Asks a broker what it offers (ApiVersions v3 over a plain socket), so a test can expect what the
 * broker it is given can do — Kafka 4's consumer group protocol, or the typed error where it is
 * missing — independently of the client under test.
 */
import { connect } from 'node:net';
import { ProtocolReader } from '../../src/kafka/protocol-reader.js';

export interface BrokerOffer {
  readonly apis: ReadonlyMap<number, { readonly min: number; readonly max: number }>;
  /** Finalized feature levels (KIP-584), e.g. `group.version`. */
  readonly features: ReadonlyMap<string, number>;
}

export async function brokerOffer(broker: string): Promise<BrokerOffer> {
  const at = broker.lastIndexOf(':');
  const clientId = Buffer.from('avrokit-tests');
  // Request header v2 (api key, version, correlation id, client id, tags); body v3 (compact strings).
  const header = Buffer.alloc(2 + 2 + 4 + 2);
  header.writeInt16BE(18, 0); // ApiVersions
  header.writeInt16BE(3, 2);
  header.writeInt32BE(1, 4); // correlation id
  header.writeInt16BE(clientId.length, 8);
  const software = Buffer.from('avrokit-tests');
  const version = Buffer.from('0');
  const request = Buffer.concat([
    header,
    clientId,
    Buffer.from([0]), // header tagged fields
    Buffer.from([software.length + 1]),
    software,
    Buffer.from([version.length + 1]),
    version,
    Buffer.from([0]), // body tagged fields
  ]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(request.length);
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect({ host: broker.slice(0, at), port: Number(broker.slice(at + 1)) }, () =>
      socket.write(Buffer.concat([size, request])),
    );
    let received = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        socket.end();
        resolve(received.subarray(4, 4 + received.readInt32BE(0)));
      }
    });
    socket.on('error', reject);
  });
  // ApiVersions answers with response header v0 (the correlation id only), whatever its version.
  const r = new ProtocolReader(answer, 'ApiVersionsResponse v3');
  r.int32('correlation_id');
  const errorCode = r.int16('error_code');
  if (errorCode !== 0) throw new Error(`ApiVersions failed: error ${errorCode}`);
  const apis = new Map<number, { min: number; max: number }>();
  for (let n = r.count(true, 'api_keys'); n > 0; n--) {
    const key = r.int16('api_key');
    apis.set(key, { min: r.int16('min_version'), max: r.int16('max_version') });
    r.skipTags(true, 'api_key');
  }
  r.int32('throttle_time_ms');
  const features = new Map<string, number>();
  const tags = r.taggedFields('ApiVersionsResponse');
  const finalized = tags.get(2);
  if (finalized) {
    r.tagged(finalized, 'finalized_features', () => {
      for (let n = r.count(true, 'finalized_features'); n > 0; n--) {
        const name = r.requiredString(true, 'name');
        features.set(name, r.int16('max_version_level'));
        r.int16('min_version_level');
        r.skipTags(true, 'feature');
      }
    });
  }
  return { apis, features };
}

/**
 * Whether the broker runs Kafka 4's consumer group protocol (KIP-848): it offers ConsumerGroupHeartbeat
 * and has the protocol on (`group.version` 1 or more, Kafka 4.0's default). Kafka 3.7–3.9 offer the API
 * but answer it with UNSUPPORTED_VERSION unless the protocol was switched on.
 */
export function offersConsumerGroupProtocol(offer: BrokerOffer): boolean {
  return offer.apis.has(68) && (offer.features.get('group.version') ?? 0) >= 1;
}
