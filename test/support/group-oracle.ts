import { ensureKafka } from '../../src/stack/artifacts.js';
import { resolveStackOptions } from '../../src/stack/options.js';
import { findMaven } from '../../src/stack/toolchain.js';
import { runJavaSource } from './java.js';

/**
 * Kafka's Java client (kafka-clients, the version the local stack fetches) as the oracle for the group
 * requests' codecs and the assignors. Messages travel as the JSON Kafka's generated
 * `<Message>JsonConverter` classes read and write, so one program covers every message:
 *
 * - `encode <Message> <version> <json>` → the hex of the message serialized at that version (the body,
 *   as `Message.write` writes it: no header, no size);
 * - `decode <Message> <version> <hex>` → the message Java reads from those bytes, as JSON;
 * - `prefixed <Message> <version> <json>` → hex, version-prefixed (ConsumerProtocol's subscriptions
 *   and assignments);
 * - `sticky <json>` / `range <json>` → Java's CooperativeStickyAssignor / RangeAssignor plan for
 *   `{ partitions: { topic: count }, members: [{ id, topics, owned: [[topic, partition]], generation,
 *   userData?, instanceId? }] }` (members put into a HashMap in that order, as ConsumerCoordinator
 *   does), as `{ member: [[topic, partition]] }`;
 * - `versions <Message>` → `<lowest> <highest>` version the class supports.
 *
 * Each command answers one line; `!<message>` when Java refused it.
 */
const ORACLE = `
import java.io.*;
import java.lang.reflect.*;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.*;
import com.fasterxml.jackson.databind.*;
import com.fasterxml.jackson.databind.node.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.*;

public class GroupOracle {
  static final HexFormat HEX = HexFormat.of();
  static final ObjectMapper JSON = new ObjectMapper();

  static Class<?> data(String name) throws Exception {
    try { return Class.forName("org.apache.kafka.common.message." + name + "Data"); }
    catch (ClassNotFoundException e) { return Class.forName("org.apache.kafka.common.message." + name); }
  }
  static Class<?> converter(Class<?> data) throws Exception {
    return Class.forName(data.getName() + "JsonConverter");
  }
  static byte[] serialize(Message m, short v) {
    ObjectSerializationCache cache = new ObjectSerializationCache();
    ByteBuffer buf = ByteBuffer.allocate(m.size(cache, v));
    m.write(new ByteBufferAccessor(buf), cache, v);
    return buf.array();
  }

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 20);
    PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 20), false, "UTF-8");
    // Kafka's classes log (the sticky assignor logs conflicting claims as errors), and the classpath's
    // logging backend writes to System.out: only answers go to the real standard output.
    System.setOut(System.err);
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isEmpty()) continue;
      String[] t = line.split(" ", 4);
      try {
        switch (t[0]) {
          case "versions": {
            Class<?> c = data(t[1]);
            out.println(c.getField("LOWEST_SUPPORTED_VERSION").getShort(null) + " " + c.getField("HIGHEST_SUPPORTED_VERSION").getShort(null));
            break;
          }
          case "encode": case "prefixed": {
            Class<?> c = data(t[1]);
            short v = Short.parseShort(t[2]);
            Message m = (Message) converter(c).getMethod("read", JsonNode.class, short.class).invoke(null, JSON.readTree(t[3]), v);
            byte[] body = serialize(m, v);
            if (t[0].equals("prefixed")) {
              ByteBuffer b = ByteBuffer.allocate(2 + body.length); b.putShort(v); b.put(body); body = b.array();
            }
            out.println(HEX.formatHex(body));
            break;
          }
          case "decode": {
            Class<?> c = data(t[1]);
            short v = Short.parseShort(t[2]);
            Object m = c.getConstructor(org.apache.kafka.common.protocol.Readable.class, short.class).newInstance(new ByteBufferAccessor(ByteBuffer.wrap(HEX.parseHex(t[3]))), v);
            out.println(JSON.writeValueAsString(converter(c).getMethod("write", c, short.class).invoke(null, m, v)));
            break;
          }
          case "sticky": case "range": {
            JsonNode input = JSON.readTree(line.substring(t[0].length() + 1));
            Map<String, Integer> partitions = new HashMap<>();
            input.get("partitions").fields().forEachRemaining(e -> partitions.put(e.getKey(), e.getValue().asInt()));
            Map<String, Subscription> subscriptions = new HashMap<>();
            for (JsonNode member : input.get("members")) {
              List<String> topics = new ArrayList<>();
              member.get("topics").forEach(n -> topics.add(n.asText()));
              List<TopicPartition> owned = new ArrayList<>();
              member.get("owned").forEach(n -> owned.add(new TopicPartition(n.get(0).asText(), n.get(1).asInt())));
              ByteBuffer userData = member.hasNonNull("userData") ? ByteBuffer.wrap(HEX.parseHex(member.get("userData").asText())) : null;
              Subscription s = new Subscription(topics, userData, owned, member.get("generation").asInt(), Optional.empty());
              if (member.hasNonNull("instanceId")) s.setGroupInstanceId(Optional.of(member.get("instanceId").asText()));
              subscriptions.put(member.get("id").asText(), s);
            }
            Map<String, List<TopicPartition>> plan = t[0].equals("sticky")
                ? new CooperativeStickyAssignor().assign(partitions, subscriptions)
                : new RangeAssignor().assign(partitions, subscriptions);
            ObjectNode result = JSON.createObjectNode();
            for (Map.Entry<String, List<TopicPartition>> e : plan.entrySet()) {
              ArrayNode list = result.putArray(e.getKey());
              for (TopicPartition tp : e.getValue()) list.addArray().add(tp.topic()).add(tp.partition());
            }
            out.println(JSON.writeValueAsString(result));
            break;
          }
          default: throw new IllegalArgumentException(t[0]);
        }
      } catch (Throwable e) {
        Throwable cause = e instanceof InvocationTargetException ? e.getCause() : e;
        out.println("!" + cause.toString().replace('\\n', ' '));
      }
    }
    out.flush();
  }
}
`;

/** Runs the commands in one JVM; one answer line per command. */
export function runGroupOracle(commands: readonly string[]): string[] {
  const { classpath } = ensureKafka(resolveStackOptions(), findMaven());
  const lines = runJavaSource('GroupOracle', ORACLE, classpath, [], commands.join('\n') + '\n').split('\n');
  return commands.map((_, i) => lines[i] ?? '');
}
