/**
 * Writes Kafka request bodies in both encodings: the classic one (int16-length strings, int32-length
 * arrays and bytes) and the flexible one of KIP-482 (unsigned-varint lengths plus one, tagged-field
 * sections). The group requests' codecs (group-requests.ts, offset-requests.ts, …) write through it;
 * `flexible` is the request version's, so one codec writes every version it speaks.
 */
export class ProtocolWriter {
  private buf = Buffer.alloc(256);
  private pos = 0;

  constructor(private readonly flexible: boolean) {}

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(n: number): this {
    this.room(1);
    this.pos = this.buf.writeInt8(n, this.pos);
    return this;
  }

  bool(b: boolean): this {
    return this.int8(b ? 1 : 0);
  }

  int16(n: number): this {
    this.room(2);
    this.pos = this.buf.writeInt16BE(n, this.pos);
    return this;
  }

  int32(n: number): this {
    this.room(4);
    this.pos = this.buf.writeInt32BE(n, this.pos);
    return this;
  }

  int64(n: number | bigint): this {
    this.room(8);
    this.pos = this.buf.writeBigInt64BE(BigInt(n), this.pos);
    return this;
  }

  uvarint(n: number): this {
    this.room(5);
    let v = n >>> 0;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** A Kafka Uuid (16 bytes), given as Java's `Uuid.toString()` writes it: URL-safe base64, no padding. */
  uuid(id: string): this {
    const bytes = Buffer.from(id, 'base64url');
    if (bytes.length !== 16) throw new RangeError(`not a Kafka Uuid: ${JSON.stringify(id)}`);
    this.raw(bytes);
    return this;
  }

  private raw(bytes: Buffer): void {
    this.room(bytes.length);
    this.pos += bytes.copy(this.buf, this.pos);
  }

  /** The length prefix of a string, bytes or array (-1 for null): int16/int32 classic, uvarint+1 flexible. */
  private length(n: number, classicSize: 2 | 4): void {
    if (this.flexible) this.uvarint(n + 1);
    else if (classicSize === 2) this.int16(n);
    else this.int32(n);
  }

  string(s: string | null): this {
    if (s === null) {
      this.length(-1, 2);
      return this;
    }
    const bytes = Buffer.from(s, 'utf8');
    this.length(bytes.length, 2);
    this.raw(bytes);
    return this;
  }

  bytes(b: Buffer | null): this {
    if (b === null) {
      this.length(-1, 4);
      return this;
    }
    this.length(b.length, 4);
    this.raw(b);
    return this;
  }

  /** An array: its length (null for a null array), then each element written by `each`. */
  array<T>(items: readonly T[] | null, each: (item: T, w: this) => void): this {
    if (items === null) {
      this.length(-1, 4);
      return this;
    }
    this.length(items.length, 4);
    for (const item of items) each(item, this);
    return this;
  }

  /** The end of a flexible struct: an empty tagged-field section (nothing in a classic version). */
  tags(): this {
    if (this.flexible) this.uvarint(0);
    return this;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
