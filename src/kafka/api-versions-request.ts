/**
 * ApiVersions (18), encoded and decoded by avrokit for what kafkajs' codec drops: the answer's tagged
 * fields (KIP-584), above all the cluster's finalized feature levels — `transaction.version` 2 is
 * what lets a producer use KIP-890's transactions (EndTxn v5, TxnOffsetCommit v5). kafkajs asks
 * ApiVersions itself on connecting and keeps only the API ranges.
 *
 * Versions 3–4 (Kafka 2.4 and later), both flexible; their bodies are the same (v4 only lets a broker
 * answer a supported feature whose MinVersion is 0, KAFKA-17011). v5 (KIP-1242) adds the cluster and
 * node ids a client means to reach, not needed here. Unlike every other API, the answer's header is v0
 * (no tagged fields) in every version, so that a client that asked a version the broker does not
 * speak can still read the error: the bridge must not skip header tags for it (kafka-bridge.ts).
 * Fields follow Kafka's ApiVersionsRequest.json and ApiVersionsResponse.json.
 */
import { checkApiVersion, type ApiSpec } from './api-spec.js';
import { ProtocolReader } from './protocol-reader.js';
import { ProtocolWriter } from './protocol-writer.js';

export const API_VERSIONS: ApiSpec = {
  key: 18,
  name: 'ApiVersions',
  minVersion: 3,
  maxVersion: 4,
  firstFlexibleVersion: 3,
};

export interface ApiVersionsRequest {
  /** KIP-511: what the broker reports in its client metrics; `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`. */
  readonly clientSoftwareName: string;
  readonly clientSoftwareVersion: string;
}

export interface ApiVersionsResponse {
  readonly errorCode: number;
  readonly apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[];
  readonly throttleTimeMs: number;
  /** The epoch of the finalized features below; -1n (Kafka's default) when unknown or not sent. */
  readonly finalizedFeaturesEpoch: bigint;
  /** The cluster-wide feature levels (tag 2), valid only when the epoch is ≥ 0. */
  readonly finalizedFeatures: Map<string, { maxVersionLevel: number; minVersionLevel: number }>;
  /** The features this broker can run at (tag 0). */
  readonly supportedFeatures: Map<string, { minVersion: number; maxVersion: number }>;
}

/** The tags of ApiVersionsResponse's top-level tagged fields. */
const SUPPORTED_FEATURES_TAG = 0;
const FINALIZED_FEATURES_EPOCH_TAG = 1;
const FINALIZED_FEATURES_TAG = 2;
const ZK_MIGRATION_READY_TAG = 3;

export function encodeApiVersionsRequest(version: number, request: ApiVersionsRequest): Buffer {
  const w = new ProtocolWriter(checkApiVersion(API_VERSIONS, version));
  w.string(request.clientSoftwareName).string(request.clientSoftwareVersion);
  return w.tags().done();
}

export function decodeApiVersionsResponse(version: number, payload: Buffer): ApiVersionsResponse {
  checkApiVersion(API_VERSIONS, version);
  const r = new ProtocolReader(payload, `ApiVersionsResponse v${version}`);
  const errorCode = r.int16('error_code');
  const apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[] = [];
  for (let n = r.count(true, 'api_keys'); n > 0; n--) {
    apiKeys.push({
      apiKey: r.int16('api_key'),
      minVersion: r.int16('min_version'),
      maxVersion: r.int16('max_version'),
    });
    r.skipTags(true, 'api_key');
  }
  const throttleTimeMs = r.int32('throttle_time_ms');
  const tags = r.taggedFields('ApiVersionsResponse');
  r.end();

  const supportedFeatures = new Map<string, { minVersion: number; maxVersion: number }>();
  const supported = tags.get(SUPPORTED_FEATURES_TAG);
  if (supported) {
    r.tagged(supported, 'supported_features', () => {
      for (let n = r.count(true, 'supported_features'); n > 0; n--) {
        const name = r.requiredString(true, 'name');
        supportedFeatures.set(name, {
          minVersion: r.int16('min_version'),
          maxVersion: r.int16('max_version'),
        });
        r.skipTags(true, 'supported_feature');
      }
    });
  }
  const epoch = tags.get(FINALIZED_FEATURES_EPOCH_TAG);
  const finalizedFeaturesEpoch = epoch
    ? r.tagged(epoch, 'finalized_features_epoch', () => r.int64('finalized_features_epoch'))
    : -1n;
  const finalizedFeatures = new Map<string, { maxVersionLevel: number; minVersionLevel: number }>();
  const finalized = tags.get(FINALIZED_FEATURES_TAG);
  if (finalized) {
    r.tagged(finalized, 'finalized_features', () => {
      for (let n = r.count(true, 'finalized_features'); n > 0; n--) {
        const name = r.requiredString(true, 'name');
        // MaxVersionLevel comes first in this struct (the other way round from SupportedFeatureKey).
        finalizedFeatures.set(name, {
          maxVersionLevel: r.int16('max_version_level'),
          minVersionLevel: r.int16('min_version_level'),
        });
        r.skipTags(true, 'finalized_feature');
      }
    });
  }
  // ZkMigrationReady: set only by a KRaft controller; read so a malformed one is still refused.
  const zkMigrationReady = tags.get(ZK_MIGRATION_READY_TAG);
  if (zkMigrationReady) r.tagged(zkMigrationReady, 'zk_migration_ready', () => r.bool('zk_migration_ready'));
  return { errorCode, apiKeys, throttleTimeMs, finalizedFeaturesEpoch, finalizedFeatures, supportedFeatures };
}
