import { ensureAvroJava } from '../../src/stack/artifacts.js';
import { resolveStackOptions } from '../../src/stack/options.js';
import { findMaven } from '../../src/stack/toolchain.js';
import { runJavaSource } from './java.js';

// Apache Avro's GenericDatumWriter/Reader with Avro's own logical-type conversions. For each case it
// parses the value text in Java's own way, writes it, and reads avrokit's bytes back, comparing them
// with the value it parsed.
const ORACLE = `
import java.io.*;
import java.math.BigDecimal;
import java.time.*;
import java.util.*;
import org.apache.avro.*;
import org.apache.avro.generic.*;
import org.apache.avro.io.*;
import org.apache.avro.data.TimeConversions;

public class ValueOracle {
  static final HexFormat HEX = HexFormat.of();

  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, "UTF-8");
    GenericData data = new GenericData();
    data.addLogicalTypeConversion(new Conversions.DecimalConversion());
    data.addLogicalTypeConversion(new Conversions.UUIDConversion());
    data.addLogicalTypeConversion(new TimeConversions.DateConversion());
    data.addLogicalTypeConversion(new TimeConversions.TimeMillisConversion());
    data.addLogicalTypeConversion(new TimeConversions.TimeMicrosConversion());
    data.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
    data.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
    data.addLogicalTypeConversion(new TimeConversions.LocalTimestampMillisConversion());
    data.addLogicalTypeConversion(new TimeConversions.LocalTimestampMicrosConversion());
    Map<String, Schema> schemas = new HashMap<>();
    for (String line; (line = in.readLine()) != null; ) {
      String[] parts = line.split("\\t", -1);
      if (parts[0].equals("schema")) {
        schemas.put(parts[1], new Schema.Parser().parse(parts[2]));
        continue;
      }
      Schema schema = schemas.get(parts[0]);
      Object value;
      byte[] bytes;
      try {
        value = parse(schema, parts[1]);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(buf, null);
        new GenericDatumWriter<Object>(schema, data).write(value, enc);
        enc.flush();
        bytes = buf.toByteArray();
      } catch (Exception e) {
        out.println("ERR\\t" + e.getClass().getSimpleName());
        continue;
      }
      String verdict = "-";
      if (!parts[2].isEmpty()) {
        try {
          BinaryDecoder dec = DecoderFactory.get().binaryDecoder(HEX.parseHex(parts[2]), null);
          Object back = new GenericDatumReader<Object>(schema, schema, data).read(null, dec);
          if (!dec.isEnd()) verdict = "TRAILING";
          else verdict = same(value, back) ? "OK" : "MISMATCH " + back;
        } catch (Exception e) {
          verdict = "UNREADABLE " + e;
        }
      }
      out.println(HEX.formatHex(bytes) + "\\t" + verdict);
    }
    out.flush();
  }

  static Object parse(Schema schema, String text) {
    LogicalType logical = schema.getLogicalType();
    String name = logical == null ? schema.getType().getName() : logical.getName();
    switch (name) {
      case "int": return Integer.parseInt(text);
      case "long": return Long.parseLong(text);
      case "float": return (float) Double.longBitsToDouble(Long.parseUnsignedLong(text, 16));
      case "double": return Double.longBitsToDouble(Long.parseUnsignedLong(text, 16));
      case "date": return LocalDate.parse(text);
      case "time-millis": return LocalTime.ofNanoOfDay(Math.multiplyExact(Long.parseLong(text), 1_000_000L));
      case "time-micros": return LocalTime.ofNanoOfDay(Math.multiplyExact(Long.parseLong(text), 1_000L));
      case "timestamp-millis": return Instant.ofEpochMilli(Long.parseLong(text));
      case "timestamp-micros": return micros(Long.parseLong(text));
      case "local-timestamp-millis": return LocalDateTime.ofInstant(Instant.ofEpochMilli(Long.parseLong(text)), ZoneOffset.UTC);
      case "local-timestamp-micros": return LocalDateTime.ofInstant(micros(Long.parseLong(text)), ZoneOffset.UTC);
      case "uuid": return UUID.fromString(text);
      case "decimal": return new BigDecimal(text);
      default: throw new IllegalArgumentException("no parser for " + name);
    }
  }

  static Instant micros(long micros) {
    return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }

  static boolean same(Object expected, Object actual) {
    if (expected instanceof Float f && actual instanceof Float g) return Float.floatToIntBits(f) == Float.floatToIntBits(g);
    if (expected instanceof Double d && actual instanceof Double e) return Double.doubleToLongBits(d) == Double.doubleToLongBits(e);
    if (expected instanceof BigDecimal d && actual instanceof BigDecimal e) return d.compareTo(e) == 0;
    return expected.equals(actual);
  }
}
`;

export interface OracleCase {
  /** Key of the schema in the map given to {@link javaValues}. */
  readonly schema: string;
  /** The value as Java's parser for the schema's type reads it (see ValueOracle.parse). */
  readonly text: string;
  /** avrokit's bytes for the value, or undefined where avrokit refused to write it. */
  readonly ours: Buffer | undefined;
}

export type JavaAnswer =
  /** Java wrote `bytes`; `verdict` is Java's reading of avrokit's bytes ('OK', 'MISMATCH …', '-' if none). */
  | { readonly refused: false; readonly bytes: Buffer; readonly verdict: string }
  /** Java refused to write the value (the exception's class name). */
  | { readonly refused: true; readonly error: string };

/** Java's bytes for every case, and its reading of ours, in one JVM run. */
export function javaValues(
  schemas: Readonly<Record<string, unknown>>,
  cases: readonly OracleCase[],
): JavaAnswer[] {
  const avro = ensureAvroJava(resolveStackOptions(), findMaven());
  const lines = [
    ...Object.entries(schemas).map(([key, schema]) => `schema\t${key}\t${JSON.stringify(schema)}`),
    ...cases.map((c) => `${c.schema}\t${c.text}\t${c.ours?.toString('hex') ?? ''}`),
  ];
  return runJavaSource('ValueOracle', ORACLE, avro.classpath, [], lines.join('\n') + '\n')
    .trimEnd()
    .split('\n')
    .map((line): JavaAnswer => {
      const [first = '', second = ''] = line.split('\t');
      return first === 'ERR'
        ? { refused: true, error: second }
        : { refused: false, bytes: Buffer.from(first, 'hex'), verdict: second };
    });
}
