import avro from 'avsc';

/** avsc's cursor over a buffer (see long.ts). */
interface Tap {
  buf: Buffer;
  pos: number;
}

// A finite number that rounds to ±Infinity as a 32-bit float would be written as infinity: refused.
const fitsFloat32 = (value: unknown): boolean =>
  typeof value === 'number' && (!Number.isFinite(value) || Number.isFinite(Math.fround(value)));

/**
 * `float` that refuses a finite number beyond ±3.4028235e38 instead of writing it as infinity.
 * Every other number is written as the nearest 32-bit float, as Java's `(float)` cast does; NaN and
 * ±Infinity are written as themselves.
 */
class ExactFloatType extends avro.types.FloatType {
  _check(value: unknown, _flags?: unknown, hook?: (value: unknown, type: avro.Type) => void): boolean {
    const valid = fitsFloat32(value);
    if (!valid && hook) hook(value, this);
    return valid;
  }
  _write(tap: Tap, value: unknown): void {
    if (!fitsFloat32(value))
      throw new Error('invalid "float": not a number within the range of a 32-bit float');
    const pos = tap.pos;
    tap.pos += 4;
    if (tap.pos <= tap.buf.length) tap.buf.writeFloatLE(value as number, pos);
  }
}

/** The one `float` type every avrokit-built Type uses. */
export const exactFloatType: avro.types.FloatType = new ExactFloatType();
