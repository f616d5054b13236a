import { ensureAvroJava } from '../../src/stack/artifacts.js';
import { resolveStackOptions } from '../../src/stack/options.js';
import { findMaven } from '../../src/stack/toolchain.js';
import { runJavaSource } from './java.js';

/**
 * Java's specific reader as a Java application uses it: Avro's compiler generates the reader schema's
 * class (as avro-maven-plugin would), javac compiles it, and `SpecificDatumReader(writer, reader)`
 * resolves each value's bytes into an instance of that class — what `KafkaAvroDeserializer` with
 * `specific.avro.reader=true` hands a consumer. Each value is printed with `SpecificData.toString`
 * (Avro's JSON-like rendering), one line each.
 */
const SOURCE = `
import java.io.*;
import java.net.*;
import java.nio.file.*;
import java.util.*;
import javax.tools.ToolProvider;
import org.apache.avro.Schema;
import org.apache.avro.compiler.specific.SpecificCompiler;
import org.apache.avro.generic.GenericData;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.*;

public class SpecificOracle {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, "UTF-8");
    Schema reader = new Schema.Parser().parse(in.readLine());
    // Avro 1.12 loads only classes an application trusts; ours are the generated ones.
    System.setProperty("org.apache.avro.SERIALIZABLE_PACKAGES", reader.getNamespace());
    Path dir = Files.createTempDirectory("avrokit-specific");
    Path src = dir.resolve("src"), classes = dir.resolve("classes");
    SpecificCompiler compiler = new SpecificCompiler(reader);
    compiler.setStringType(GenericData.StringType.String);
    compiler.compileToDestination(null, src.toFile());
    List<String> javac = new ArrayList<>(List.of("-nowarn", "-cp", System.getProperty("java.class.path"), "-d", classes.toString()));
    try (var files = Files.walk(src)) { files.filter(p -> p.toString().endsWith(".java")).forEach(p -> javac.add(p.toString())); }
    if (ToolProvider.getSystemJavaCompiler().run(null, null, System.err, javac.toArray(new String[0])) != 0)
      throw new IllegalStateException("javac failed on the generated classes");
    URLClassLoader loader = new URLClassLoader(new URL[] { classes.toUri().toURL() }, SpecificOracle.class.getClassLoader());
    SpecificData data = new SpecificData(loader);
    Class<?> type = loader.loadClass(reader.getFullName());
    Schema compiled = (Schema) type.getField("SCHEMA$").get(null);
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isEmpty()) continue;
      String[] parts = line.split("\\t");
      Schema writer = new Schema.Parser().parse(parts[0]);
      byte[] bytes = HexFormat.of().parseHex(parts[1]);
      Object value = new SpecificDatumReader<Object>(writer, compiled, data).read(null, DecoderFactory.get().binaryDecoder(bytes, null));
      if (!type.isInstance(value)) throw new IllegalStateException("read a " + value.getClass() + ", not the generated class");
      out.println(data.toString(value));
    }
    out.flush();
  }
}
`;

/**
 * Reads each Avro body (no Confluent frame) written with its writer schema into the class generated
 * from `readerSchema`; returns Avro's rendering of each value, parsed as JSON.
 */
export function javaSpecificRead(
  readerSchema: string,
  values: readonly { readonly writerSchema: string; readonly body: Buffer }[],
): unknown[] {
  const avro = ensureAvroJava(resolveStackOptions(), findMaven());
  const input = [
    JSON.stringify(JSON.parse(readerSchema)),
    ...values.map((v) => `${JSON.stringify(JSON.parse(v.writerSchema))}\t${v.body.toString('hex')}`),
  ].join('\n');
  const output = runJavaSource('SpecificOracle', SOURCE, avro.classpath, [], `${input}\n`);
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);
}
