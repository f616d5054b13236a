/**
 * LZ4 block compression that keeps the format's end-of-block rules, which Kafka's Java reader
 * (lz4-java) enforces: the last match starts at least 12 bytes before the end of the block, and the
 * last 5 bytes are literals. A greedy single-probe hash matcher, like LZ4's fast mode.
 */
const MIN_MATCH = 4;
const MF_LIMIT = 12;
const LAST_LITERALS = 5;
const MAX_OFFSET = 65535;
const HASH_BITS = 16;

function hash(seq: number): number {
  return Math.imul(seq, 2654435761) >>> (32 - HASH_BITS);
}

function writeLength(out: Buffer, at: number, length: number): number {
  let rest = length;
  while (rest >= 255) {
    out[at++] = 255;
    rest -= 255;
  }
  out[at++] = rest;
  return at;
}

/** Worst-case size of a compressed block. */
export function lz4BlockBound(length: number): number {
  return length + Math.ceil(length / 255) + 16;
}

/** Compresses `input` into `out` (at least lz4BlockBound bytes); returns the compressed size. */
export function compressLz4Block(input: Uint8Array, out: Buffer): number {
  const length = input.length;
  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  const view = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let anchor = 0;
  let op = 0;
  let ip = 0;
  const matchStartLimit = length - MF_LIMIT;
  const matchEndLimit = length - LAST_LITERALS;

  const emit = (literalEnd: number, matchLength: number, offset: number): void => {
    const literals = literalEnd - anchor;
    const token = op++;
    out[token] =
      (Math.min(literals, 15) << 4) | (matchLength > 0 ? Math.min(matchLength - MIN_MATCH, 15) : 0);
    if (literals >= 15) op = writeLength(out, op, literals - 15);
    view.copy(out, op, anchor, literalEnd);
    op += literals;
    if (matchLength === 0) return;
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    if (matchLength - MIN_MATCH >= 15) op = writeLength(out, op, matchLength - MIN_MATCH - 15);
  };

  while (ip <= matchStartLimit) {
    const seq = view.readUInt32LE(ip);
    const h = hash(seq);
    const candidate = table[h]!;
    table[h] = ip;
    if (candidate < 0 || ip - candidate > MAX_OFFSET || view.readUInt32LE(candidate) !== seq) {
      ip++;
      continue;
    }
    let matchLength = MIN_MATCH;
    while (ip + matchLength < matchEndLimit && input[candidate + matchLength] === input[ip + matchLength])
      matchLength++;
    emit(ip, matchLength, ip - candidate);
    ip += matchLength;
    anchor = ip;
  }
  emit(length, 0, 0); // the last literals
  return op;
}
