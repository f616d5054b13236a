import type avro from 'avsc';
import { newTap } from '../avro/writer.js';
import { describeActual, SerdeError } from './errors.js';

/**
 * Confluent's wire format: byte 0 is the magic byte 0, bytes 1-4 the schema id as a big-endian
 * int32, then the Avro binary body.
 */
export const MAGIC_BYTE = 0;
export const HEADER_SIZE = 5;

// Serializing is synchronous, so one scratch buffer shared by every serializer is safe; it only grows.
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Encodes `value` behind the 5-byte header with exactly one allocation for the result: the body is
 * written into scratch space after a header, and the used part copied out once. (avsc's own
 * `toBuffer` also copies out of scratch space, into a zero-filled buffer.) Throws whatever avsc throws
 * for a value that does not match `type`.
 */
export function encodeFramed(type: avro.Type, schemaId: number, value: unknown): Buffer {
  const framed = encodeFramedTransient(type, schemaId, value);
  const out = Buffer.allocUnsafe(framed.length);
  framed.copy(out);
  return out;
}

/**
 * The same bytes as {@link encodeFramed}, as a view of the shared scratch space: valid only until the
 * next encoding, for a caller that copies them at once (the producer's record batch), which saves
 * an allocation and a copy per record.
 */
export function encodeFramedTransient(type: avro.Type, schemaId: number, value: unknown): Buffer {
  let end = type.encode(value, scratch, HEADER_SIZE);
  if (end < 0) {
    // encode() returns minus the number of missing bytes.
    scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
    end = type.encode(value, scratch, HEADER_SIZE);
  }
  scratch[0] = MAGIC_BYTE;
  scratch.writeUInt32BE(schemaId, 1);
  return scratch.subarray(0, end);
}

const scratchTap = newTap(scratch);

/**
 * The bytes `write` makes of `value` (a framed writer: header and body), as a view of the shared
 * scratch space like {@link encodeFramedTransient}; undefined if the writer threw (the caller asks
 * avsc, whose error says why).
 */
export function writeFramedTransient(
  write: (tap: { buf: Buffer; pos: number }, value: unknown) => void,
  value: unknown,
): Buffer | undefined {
  const tap = scratchTap;
  for (;;) {
    tap.buf = scratch;
    tap.pos = 0;
    try {
      write(tap, value);
    } catch {
      return undefined;
    }
    if (tap.pos <= scratch.length) return scratch.subarray(0, tap.pos);
    scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, tap.pos));
  }
}

/** The schema id in a framed payload, after checking the magic byte and minimum length. */
export function readSchemaId(bytes: Buffer, topic: string): number {
  if (!Buffer.isBuffer(bytes)) {
    throw new SerdeError(
      'SERDE_INVALID_FRAME',
      `payload on topic "${topic}" is not a Buffer (got ${describeActual(bytes)})`,
      { context: { topic } },
    );
  }
  if (bytes.length < HEADER_SIZE) {
    throw new SerdeError(
      'SERDE_INVALID_FRAME',
      `payload on topic "${topic}" is ${bytes.length} bytes, shorter than the ${HEADER_SIZE}-byte Confluent header`,
      { context: { topic, length: bytes.length } },
    );
  }
  if (bytes[0] !== MAGIC_BYTE) {
    throw new SerdeError(
      'SERDE_INVALID_FRAME',
      `payload on topic "${topic}" starts with byte ${bytes[0]}, not the Confluent magic byte 0 (not written by a schema-registry serializer?)`,
      { context: { topic, magicByte: bytes[0] } },
    );
  }
  return bytes.readUInt32BE(1);
}
