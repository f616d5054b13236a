/**
 * The one reader of Kafka response bytes for the kafka layer's own codecs (Produce, Fetch, the group
 * and offset requests, the consumer protocol's embedded subscription and assignment): every read is
 * bounds-checked, so a truncated or garbled answer is an Error naming the field and offset, never a
 * RangeError or a misread.
 */
/** Reads a response with bounds checks, so a truncated or garbled answer is an Error naming where. */
export class ProtocolReader {
  pos = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  fail(message: string, at = this.pos): never {
    throw new Error(`${this.what}: ${message} at offset ${at} of ${this.buf.length}`);
  }

  private need(bytes: number, field: string): number {
    const at = this.pos;
    if (at + bytes > this.buf.length) {
      this.fail(`truncated ${field} (needs ${bytes} bytes, ${this.buf.length - at} left)`, at);
    }
    this.pos = at + bytes;
    return at;
  }

  int16(field: string): number {
    return this.buf.readInt16BE(this.need(2, field));
  }

  int32(field: string): number {
    return this.buf.readInt32BE(this.need(4, field));
  }

  int64(field: string): bigint {
    return this.buf.readBigInt64BE(this.need(8, field));
  }

  uvarint(field: string): number {
    const at = this.pos;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.buf[this.need(1, field)] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) {
        if (value > 0xffffffff) this.fail(`${field}: unsigned varint beyond 32 bits`, at);
        return value;
      }
    }
    return this.fail(`${field}: unsigned varint longer than 5 bytes`, at);
  }

  /** An element count, refused when more elements than bytes remain (each takes at least one). */
  count(flexible: boolean, field: string): number {
    const at = this.pos;
    const n = flexible ? this.uvarint(field) - 1 : this.int32(field);
    if (n < 0) this.fail(`${field}: null or negative array length ${n}`, at);
    if (n > this.buf.length - this.pos) this.fail(`${field}: ${n} elements cannot fit in the bytes left`, at);
    return n;
  }

  string(flexible: boolean, field: string): string | null {
    const at = this.pos;
    const length = flexible ? this.uvarint(field) - 1 : this.int16(field);
    if (length === -1) return null;
    if (length < 0) this.fail(`${field}: negative string length ${length}`, at);
    const start = this.need(length, field);
    return this.buf.toString('utf8', start, start + length);
  }

  /** An int32-length byte array (a Fetch response's records), as a view; null length is empty. */
  bytes(field: string): Buffer {
    const at = this.pos;
    const length = this.int32(field);
    if (length < 0) return this.buf.subarray(at, at);
    const start = this.need(length, field);
    return this.buf.subarray(start, start + length);
  }

  requiredString(flexible: boolean, field: string): string {
    const at = this.pos;
    return this.string(flexible, field) ?? this.fail(`${field}: null where a string is required`, at);
  }

  /** Skips a tagged-field section, returning the tags' raw bytes so known ones can be decoded. */
  taggedFields(field: string): Map<number, { start: number; end: number }> {
    const tags = new Map<number, { start: number; end: number }>();
    const count = this.uvarint(`${field} tagged field count`);
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint(`${field} tag`);
      const size = this.uvarint(`${field} tag ${tag} size`);
      const start = this.need(size, `${field} tag ${tag}`);
      tags.set(tag, { start, end: start + size });
    }
    return tags;
  }

  /** Reads a tagged field's value in place, checking it used exactly its declared size. */
  tagged<T>(span: { start: number; end: number }, field: string, read: () => T): T {
    const resume = this.pos;
    this.pos = span.start;
    const value = read();
    if (this.pos !== span.end)
      this.fail(`${field}: tagged field size does not match its contents`, span.start);
    this.pos = resume;
    return value;
  }

  int8(field: string): number {
    return this.buf.readInt8(this.need(1, field));
  }

  bool(field: string): boolean {
    return this.int8(field) !== 0;
  }

  /** A Kafka Uuid as Java's `Uuid.toString()` writes it: URL-safe base64 of its 16 bytes, no padding. */
  uuid(field: string): string {
    const start = this.need(16, field);
    return this.buf.toString('base64url', start, start + 16);
  }

  /** An array's element count, or -1 for a null array (nullable arrays of the group APIs). */
  nullableCount(flexible: boolean, field: string): number {
    const at = this.pos;
    const n = flexible ? this.uvarint(field) - 1 : this.int32(field);
    if (n === -1) return -1;
    this.pos = at;
    return this.count(flexible, field);
  }

  /** A byte array (int32 length classic, uvarint+1 flexible), copied out; null for a null one. */
  nullableBytes(flexible: boolean, field: string): Buffer | null {
    const at = this.pos;
    const length = flexible ? this.uvarint(field) - 1 : this.int32(field);
    if (length === -1) return null;
    if (length < 0) this.fail(`${field}: negative byte array length ${length}`, at);
    const start = this.need(length, field);
    return Buffer.from(this.buf.subarray(start, start + length));
  }

  requiredBytes(flexible: boolean, field: string): Buffer {
    const at = this.pos;
    return this.nullableBytes(flexible, field) ?? this.fail(`${field}: null where bytes are required`, at);
  }

  /** The end of a struct in a flexible version: its tagged fields, none of which we read, skipped. */
  skipTags(flexible: boolean, field: string): void {
    if (flexible) this.taggedFields(field);
  }

  end(): void {
    if (this.pos !== this.buf.length) this.fail(`${this.buf.length - this.pos} unexpected trailing bytes`);
  }
}
