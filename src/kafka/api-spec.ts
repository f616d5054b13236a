/**
 * What avrokit's own request codecs declare about an API: its key and name, the versions avrokit
 * speaks, and the first flexible version (KIP-482: compact lengths and tagged fields, and a request
 * header with tags). The bridge picks the newest version both avrokit and the broker speak.
 */
export interface ApiSpec {
  readonly key: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** Infinity for an API with no flexible version in the range. */
  readonly firstFlexibleVersion: number;
}

export function isFlexible(api: ApiSpec, version: number): boolean {
  return version >= api.firstFlexibleVersion;
}

/** Refuses a version the codec does not speak; answers whether it is flexible. */
export function checkApiVersion(api: ApiSpec, version: number): boolean {
  if (!Number.isInteger(version) || version < api.minVersion || version > api.maxVersion) {
    throw new RangeError(`${api.name} v${version} is not supported (${api.minVersion}–${api.maxVersion})`);
  }
  return isFlexible(api, version);
}
