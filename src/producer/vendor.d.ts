// lz4js ships no types; these are the functions avrokit uses.
declare module 'lz4js' {
  export function decompress(source: Uint8Array, maxSize?: number): Uint8Array;
}

declare module 'lz4js/lz4.js' {
  export function compressBound(n: number): number;
  /** Compresses src[sIndex, sIndex + sLength) into dst; returns the compressed size, 0 if it does not shrink. */
  export function compressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    hashTable: Uint32Array,
  ): number;
}

declare module 'lz4js/xxh32.js' {
  export function hash(seed: number, src: Uint8Array, index: number, length: number): number;
}
