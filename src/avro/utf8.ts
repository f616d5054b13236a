/**
 * UTF-8 text read straight out of a buffer, for the consumer's hot path. Node's own decoder is a call
 * into C++ whose fixed cost dominates for short strings (record keys, short fields); a short run of
 * ASCII is assembled in JavaScript instead. Either way the result is exactly `buf.toString('utf8',
 * start, end)`: anything that is not ASCII goes to Node's decoder (replacement characters and all).
 */

/** Below this many bytes, ASCII is assembled in JavaScript (measured: Node 20 and 22, x64). */
const SHORT = 8;

type Utf8Slicer = { utf8Slice(start: number, end: number): string };

/** `buf.toString('utf8', start, end)` for `0 <= start <= end <= buf.length`, faster for short ASCII. */
export function utf8At(buf: Buffer, start: number, end: number): string {
  if (end - start <= SHORT) {
    let text = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return (buf as unknown as Utf8Slicer).utf8Slice(start, end);
      text += String.fromCharCode(c);
    }
    return text;
  }
  return (buf as unknown as Utf8Slicer).utf8Slice(start, end);
}
