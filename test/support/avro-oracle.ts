import { ensureAvroJava } from '../../src/stack/artifacts.js';
import { resolveStackOptions } from '../../src/stack/options.js';
import { findMaven } from '../../src/stack/toolchain.js';
import { runJavaSource } from './java.js';

// Apache Avro's own verdict: SchemaCompatibility.checkReaderWriterCompatibility, per pair of schemas.
const ORACLE = `
import java.io.*;
import org.apache.avro.*;

public class CompatibilityOracle {
  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    for (String line; (line = in.readLine()) != null; ) {
      String[] parts = line.split("\\t", 2);
      StringBuilder sb = new StringBuilder();
      try {
        Schema reader = new Schema.Parser().parse(parts[0]);
        Schema writer = new Schema.Parser().parse(parts[1]);
        SchemaCompatibility.SchemaPairCompatibility r = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        sb.append("{\\"compatible\\":").append(r.getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        sb.append(",\\"incompatibilities\\":[");
        boolean first = true;
        for (SchemaCompatibility.Incompatibility i : r.getResult().getIncompatibilities()) {
          if (!first) sb.append(',');
          first = false;
          sb.append("{\\"kind\\":\\"").append(i.getType()).append("\\",\\"path\\":").append(quote(i.getLocation()));
          sb.append(",\\"message\\":").append(quote(i.getMessage())).append('}');
        }
        sb.append("]}");
      } catch (Exception e) {
        sb.setLength(0);
        sb.append("{\\"error\\":").append(quote(e.toString())).append('}');
      }
      out.println(sb);
    }
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\\\') b.append('\\\\').append(c);
      else if (c < 0x20) b.append(String.format("\\\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}
`;

export interface JavaVerdict {
  readonly compatible?: boolean;
  readonly incompatibilities?: readonly { kind: string; path: string; message: string }[];
  /** Set when Java refused to parse a schema. */
  readonly error?: string;
}

/** Java's verdict for each [reader, writer] pair, in one JVM run (Avro fetched from Maven Central once). */
export function javaCompatibility(pairs: readonly (readonly [unknown, unknown])[]): JavaVerdict[] {
  const avro = ensureAvroJava(resolveStackOptions(), findMaven());
  const input = pairs.map(([r, w]) => `${JSON.stringify(r)}\t${JSON.stringify(w)}`).join('\n') + '\n';
  return runJavaSource('CompatibilityOracle', ORACLE, avro.classpath, [], input)
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as JavaVerdict);
}

// Apache Avro's Parsing Canonical Form and its 64-bit fingerprint (SchemaNormalization), per schema.
const CANONICAL_ORACLE = `
import java.io.*;
import org.apache.avro.*;

public class CanonicalOracle {
  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    for (String line; (line = in.readLine()) != null; ) {
      try {
        Schema schema = new Schema.Parser().parse(line);
        out.println(Long.toUnsignedString(SchemaNormalization.parsingFingerprint64(schema)) + "\\t" + SchemaNormalization.toParsingForm(schema));
      } catch (Exception e) {
        out.println("error\\t" + e.toString().replace('\\n', ' '));
      }
    }
  }
}
`;

/** Java's canonical form and fingerprint of each schema (`error` where Java refuses the schema). */
export function javaCanonicalForms(
  schemas: readonly unknown[],
): ({ fingerprint: bigint; form: string } | { error: string })[] {
  const avro = ensureAvroJava(resolveStackOptions(), findMaven());
  const input = schemas.map((s) => JSON.stringify(s)).join('\n') + '\n';
  return runJavaSource('CanonicalOracle', CANONICAL_ORACLE, avro.classpath, [], input)
    .trim()
    .split('\n')
    .map((line) => {
      const [first, rest] = [line.slice(0, line.indexOf('\t')), line.slice(line.indexOf('\t') + 1)];
      return first === 'error' ? { error: rest } : { fingerprint: BigInt(first), form: rest };
    });
}
