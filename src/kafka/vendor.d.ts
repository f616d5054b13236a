// lz4js ships no types; these are the functions avrokit uses.
declare module 'lz4js' {
  export function decompress(source: Uint8Array, maxSize?: number): Uint8Array;
}

declare module 'lz4js/lz4.js' {
  /** Decompresses src[sIndex, sIndex + sLength) into dst from dIndex; returns the end index in dst. */
  export function decompressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    dIndex: number,
  ): number;
}

declare module 'lz4js/xxh32.js' {
  export function hash(seed: number, src: Uint8Array, index: number, length: number): number;
}

declare module 'kafkajs/src/protocol/requests/metadata/index.js' {
  /** kafkajs' Metadata request definitions by version, for Broker.lookupRequest. */
  const definitions: unknown;
  export default definitions;
}
