package dev.corral.controlplane.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;

/**
 * The parser against Jackson, seeded (every run checks the same cases): random lifecycle records, with unknown
 * fields of every JSON kind, random whitespace, escapes and text outside ASCII, read as written; and the same
 * records with bytes changed at random, accepted exactly when they are UTF-8 and Jackson reads them as JSON of the
 * right types without a field the meter reads twice, and then read as Jackson reads them.
 */
class LifecycleRecordParserPropertyTest {

    private static final ObjectMapper JACKSON = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final String[] ACTIONS = {"scheduled", "starting", "running", "exists", "stopping", "stopped", "deleted"};
    private static final Pattern KNOWN = Pattern.compile(
            "'(id|type|time|data|kind|uid|name|project|sequence|vcpus|memoryMiB|diskGiB|devices|class)'");
    private static final String TEXT = "aZ09-_.:/ \"\\\n\té東😀";

    private final LifecycleRecordParser parser = new LifecycleRecordParser();

    @Test
    void randomRecordsReadAsWritten() throws Exception {
        var random = new Random(4);
        for (int n = 0; n < 5_000; n++) {
            var expected = event(random);
            String json = write(expected, random);
            assertThat(reference(json.getBytes(StandardCharsets.UTF_8))).as(json).isEqualTo(expected);
            assertThat(parser.parse(json)).as(json).isEqualTo(expected);
        }
    }

    @Test
    void changedBytesAreRefusedOrReadAsJacksonReadsThem() {
        var random = new Random(5);
        int accepted = 0;
        for (int n = 0; n < 30_000; n++) {
            byte[] bytes = write(event(random), random).getBytes(StandardCharsets.UTF_8);
            for (int k = 1 + random.nextInt(2); k > 0; k--) {
                int at = random.nextInt(bytes.length);
                bytes[at] = random.nextInt(4) == 0 ? (byte) random.nextInt(256) : (byte) "{}[]\",:0123456789.eE-+ nulltruefalse\\u".charAt(
                        random.nextInt(37));
            }
            UsageEvent expected;
            try {
                expected = reference(bytes);
            } catch (JsonParseException e) {
                if (e.getMessage().startsWith("Duplicate field") && !KNOWN.matcher(e.getMessage()).find()) {
                    continue; // the parser skips unknown fields without keeping their names
                }
                byte[] refused = bytes;
                assertThatThrownBy(() -> parser.parse(refused)).as(new String(bytes, StandardCharsets.UTF_8))
                        .isInstanceOf(IllegalArgumentException.class);
                continue;
            } catch (Exception e) {
                byte[] refused = bytes;
                assertThatThrownBy(() -> parser.parse(refused)).as(new String(bytes, StandardCharsets.UTF_8))
                        .isInstanceOf(IllegalArgumentException.class);
                continue;
            }
            accepted++;
            assertThat(parser.parse(bytes)).as(new String(bytes, StandardCharsets.UTF_8)).isEqualTo(expected);
        }
        assertThat(accepted).as("changed records still lifecycle events").isGreaterThan(1_000);
    }

    private static UsageEvent event(Random random) {
        var devices = new TreeMap<String, Integer>();
        for (int d = random.nextInt(4); d > 0; d--) {
            devices.merge(random.nextBoolean() ? "gpu" : text(random), 1, Integer::sum);
        }
        long second = random.nextLong(0, 4_102_444_800L);
        return new UsageEvent(text(random), ACTIONS[random.nextInt(ACTIONS.length)], text(random), random.nextBoolean() ? "VM" : "Container",
                text(random), text(random), 1 + random.nextLong(Long.MAX_VALUE - 1), Instant.ofEpochSecond(second, random.nextInt(1000) * 1_000_000L),
                random.nextInt(5) == 0 ? random.nextDouble() * 64 : random.nextInt(64), random.nextLong(1 << 20), devices,
                random.nextInt(3) == 0 ? 0 : random.nextLong(4096));
    }

    /** The record as a node agent (or another producer) might write it: any order, unknown fields, any spacing. */
    private static String write(UsageEvent e, Random random) {
        var data = new ArrayList<String>();
        data.add(member("kind", string(e.kind(), random), random));
        data.add(member("uid", string(e.uid(), random), random));
        data.add(member("name", string(e.name(), random), random));
        data.add(member("project", string(e.project(), random), random));
        data.add(member("sequence", Long.toString(e.sequence()), random));
        data.add(member("vcpus", random.nextBoolean() && e.vcpus() == Math.rint(e.vcpus()) ? Long.toString((long) e.vcpus())
                : Double.toString(e.vcpus()), random));
        data.add(member("memoryMiB", Long.toString(e.memoryMiB()), random));
        if (e.diskGiB() != 0 || random.nextBoolean()) {
            data.add(member("diskGiB", Long.toString(e.diskGiB()), random));
        }
        var devices = new ArrayList<String>();
        e.devices().forEach((cls, count) -> {
            for (int i = 0; i < count; i++) {
                var fields = new ArrayList<String>();
                if (!cls.equals("unclassified") || random.nextBoolean()) {
                    fields.add(member("class", string(cls, random), random));
                }
                fields.add(member("address", string("0000:3b:00." + i, random), random));
                Collections.shuffle(fields, random);
                devices.add(object(fields, random));
            }
        });
        Collections.shuffle(devices, random);
        data.add(member("devices", "[" + String.join("," + space(random), devices) + "]", random));
        for (int u = random.nextInt(3); u > 0; u--) {
            data.add(member(text(random), value(random, 0), random));
        }
        Collections.shuffle(data, random);
        var event = new ArrayList<String>();
        event.add(member("specversion", "\"1.0\"", random));
        event.add(member("id", string(e.id(), random), random));
        event.add(member("type", string("corral." + e.kind().toLowerCase() + "." + e.action(), random), random));
        event.add(member("time", string(e.time().toString(), random), random));
        event.add(member("data", object(data, random), random));
        for (int u = random.nextInt(3); u > 0; u--) {
            event.add(member("x" + u, value(random, 0), random));
        }
        Collections.shuffle(event, random);
        return space(random) + object(event, random) + space(random);
    }

    private static String value(Random random, int depth) {
        return switch (depth > 3 ? random.nextInt(5) : random.nextInt(7)) {
            case 0 -> string(text(random), random);
            case 1 -> Long.toString(random.nextLong());
            case 2 -> Double.toString(random.nextGaussian() * 1e6);
            case 3 -> random.nextBoolean() ? "true" : "false";
            case 4 -> "null";
            case 5 -> {
                var items = new ArrayList<String>();
                for (int i = random.nextInt(3); i > 0; i--) {
                    items.add(value(random, depth + 1));
                }
                yield "[" + space(random) + String.join("," + space(random), items) + "]";
            }
            default -> {
                var members = new ArrayList<String>();
                for (int i = random.nextInt(3); i > 0; i--) {
                    members.add(member("k" + i, value(random, depth + 1), random));
                }
                yield object(members, random);
            }
        };
    }

    private static String object(List<String> members, Random random) {
        return "{" + space(random) + String.join("," + space(random), members) + space(random) + "}";
    }

    private static String member(String name, String value, Random random) {
        return string(name, random) + space(random) + ":" + space(random) + value;
    }

    private static String space(Random random) {
        return random.nextInt(4) == 0 ? " \n\t\r".substring(random.nextInt(4)) : "";
    }

    private static String text(Random random) {
        var s = new StringBuilder();
        for (int i = 1 + random.nextInt(12); i > 0; i--) {
            int at = random.nextInt(TEXT.length());
            if (Character.isLowSurrogate(TEXT.charAt(at))) {
                at--;
            }
            s.append(TEXT, at, Character.isHighSurrogate(TEXT.charAt(at)) ? at + 2 : at + 1);
        }
        return s.toString();
    }

    /** A JSON string of {@code s}, escaping what must be and, at random, what may be. */
    private static String string(String s, Random random) {
        var out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c == '\n') {
                out.append(random.nextBoolean() ? "\\n" : "\\u000a");
            } else if (c < 0x20 || (!Character.isSurrogate(c) && random.nextInt(10) == 0)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** What the record holds for the meter, read by Jackson's tree: strings, integers and numbers of the right kind. */
    private static UsageEvent reference(byte[] json) throws Exception {
        // JSON is UTF-8 (RFC 8259); Jackson's byte parser lets some invalid sequences through.
        JsonNode root = JACKSON.readTree(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(json)).toString());
        if (root == null || !root.isObject() || !root.path("data").isObject()) {
            throw new IllegalArgumentException("not an event");
        }
        JsonNode data = root.get("data");
        var devices = new TreeMap<String, Integer>();
        JsonNode list = data.path("devices");
        if (list.isArray()) {
            for (var d : list) {
                if (!d.isObject()) {
                    throw new IllegalArgumentException("a device that is not an object");
                }
                devices.merge(d.path("class").isTextual() ? d.get("class").asText() : "unclassified", 1, Integer::sum);
            }
        }
        String type = text(root, "type");
        String time = text(root, "time");
        long sequence = integer(data, "sequence");
        if (text(root, "id") == null || type == null || time == null || text(data, "kind") == null || text(data, "uid") == null
                || text(data, "name") == null || text(data, "project") == null || sequence < 1) {
            throw new IllegalArgumentException("incomplete");
        }
        Instant at;
        try {
            at = Instant.parse(time);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(e);
        }
        JsonNode vcpus = data.path("vcpus");
        if (!vcpus.isMissingNode() && !vcpus.isNull() && !vcpus.isNumber()) {
            throw new IllegalArgumentException("vcpus");
        }
        return new UsageEvent(text(root, "id"), type.substring(type.lastIndexOf('.') + 1), text(data, "uid"), text(data, "kind"),
                text(data, "name"), text(data, "project"), sequence, at, vcpus.asDouble(), integer(data, "memoryMiB"),
                Map.copyOf(devices).isEmpty() ? new TreeMap<>() : devices, integer(data, "diskGiB"));
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(field);
        }
        return v.asText();
    }

    private static long integer(JsonNode node, String field) {
        JsonNode v = node.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return 0;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new IllegalArgumentException(field);
        }
        return v.asLong();
    }
}
