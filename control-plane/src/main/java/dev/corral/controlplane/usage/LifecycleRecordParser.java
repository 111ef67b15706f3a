package dev.corral.controlplane.usage;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the fields the meter needs straight off a lifecycle record's UTF-8 JSON, in one pass over its bytes: no
 * String of the record, no token objects, field names matched as bytes, the time without a general formatter
 * ({@link EventTime}). Parsing was most of the meter's time, and Jackson's parser inlined into it most of what the
 * JIT compiled for the meter (bench/usage). Fields it does not know are skipped, as the contract asks of consumers,
 * but checked to be JSON.
 *
 * <p>Strict where Jackson's streaming parser coerced: the CloudEvent's and the payload's strings must be strings,
 * {@code sequence}, {@code memoryMiB} and {@code diskGiB} integers, {@code vcpus} a number (null counts as absent),
 * the record one object and nothing after it, its text valid UTF-8. Anything else is refused with an
 * IllegalArgumentException, and the meter skips the record.
 */
final class LifecycleRecordParser {

    private static final byte[][] EVENT = names("id", "type", "time", "data");
    private static final byte[][] DATA = names("kind", "uid", "name", "project", "sequence", "vcpus", "memoryMiB", "diskGiB", "devices");
    private static final byte[][] DEVICE = names("class");
    private static final byte[][] NONE = {};
    private static final int MAX_DEPTH = 1000;

    /** The event in {@code json}; throws IllegalArgumentException when it is not a lifecycle event. */
    UsageEvent parse(String json) {
        return parse(json.getBytes(StandardCharsets.UTF_8));
    }

    /** The event in {@code json} (UTF-8); throws IllegalArgumentException when it is not a lifecycle event. */
    UsageEvent parse(byte[] json) {
        var in = new Scanner(json);
        String id = null, type = null, kind = null, uid = null, name = null, project = null;
        Instant time = null;
        long sequence = 0;
        double vcpus = 0;
        long memoryMiB = 0;
        long diskGiB = 0;
        Map<String, Integer> devices = new TreeMap<>();
        in.expect('{');
        if (!in.next('}')) {
            do {
                switch (in.key(EVENT, 0)) {
                    case 0 -> id = in.text();
                    case 1 -> type = in.text();
                    case 2 -> time = time(in.text());
                    case 3 -> {
                        in.expect('{');
                        if (!in.next('}')) {
                            do {
                                switch (in.key(DATA, 1)) {
                                    case 0 -> kind = in.text();
                                    case 1 -> uid = in.text();
                                    case 2 -> name = in.text();
                                    case 3 -> project = in.text();
                                    case 4 -> sequence = in.integer();
                                    case 5 -> vcpus = in.number();
                                    case 6 -> memoryMiB = in.integer();
                                    case 7 -> diskGiB = in.integer();
                                    case 8 -> readDevices(in, devices);
                                    default -> in.skip(1);
                                }
                            } while (in.next(','));
                            in.expect('}');
                        }
                    }
                    default -> in.skip(0);
                }
            } while (in.next(','));
            in.expect('}');
        }
        in.end();
        if (id == null || type == null || time == null || kind == null || uid == null || name == null || project == null
                || sequence < 1) {
            throw new IllegalArgumentException("a lifecycle event needs id, type, time and data with kind, uid, name, project "
                    + "and a sequence of at least 1");
        }
        return new UsageEvent(id, type.substring(type.lastIndexOf('.') + 1), uid, kind, name, project, sequence, time, vcpus,
                memoryMiB, devices, diskGiB);
    }

    private static Instant time(String text) {
        if (text == null) {
            return null;
        }
        try {
            return EventTime.parse(text);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("time: " + e.getMessage(), e);
        }
    }

    /** Devices counted per class ({@code unclassified} without one); anything but an array holds none. */
    private static void readDevices(Scanner in, Map<String, Integer> devices) {
        devices.clear();
        if (!in.next('[')) {
            in.skip(1);
            return;
        }
        if (in.next(']')) {
            return;
        }
        do {
            in.expect('{');
            in.forgetDevice();
            String cls = null;
            if (!in.next('}')) {
                do {
                    if (in.key(DEVICE, 3) == 0 && in.peek() == '"') {
                        cls = in.text();
                    } else {
                        in.skip(3);
                    }
                } while (in.next(','));
                in.expect('}');
            }
            devices.merge(cls == null ? "unclassified" : cls, 1, Integer::sum);
        } while (in.next(','));
        in.expect(']');
    }

    private static byte[][] names(String... names) {
        var bytes = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            bytes[i] = names[i].getBytes(StandardCharsets.US_ASCII);
        }
        return bytes;
    }

    /** JSON (RFC 8259) over bytes, as far as the parser needs it. */
    private static final class Scanner {

        private final byte[] b;
        private int i;
        // The known names met, 16 bits per level (event, data, a device); a device's are cleared at its start.
        private long seen;

        Scanner(byte[] b) {
            this.b = b;
        }

        /** The next byte after whitespace, or -1 at the end. */
        int peek() {
            while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
                i++;
            }
            return i < b.length ? b[i] : -1;
        }

        /** Consumes {@code c} if it comes next. */
        boolean next(char c) {
            if (peek() == c) {
                i++;
                return true;
            }
            return false;
        }

        void expect(char c) {
            if (!next(c)) {
                throw malformed("expected '" + c + "'");
            }
        }

        void forgetDevice() {
            seen &= ~(0xffffL << 48);
        }

        void end() {
            if (peek() != -1) {
                throw malformed("text after the event");
            }
        }

        /**
         * A member's name and its colon: the index of the name in {@code names}, or -1 for another one. One of
         * {@code names} twice in the same object ({@code depth} levels deep) is refused: which one would count?
         */
        int key(byte[][] names, int depth) {
            if (peek() != '"') {
                throw malformed("expected a field name");
            }
            int start = i + 1;
            int found = -1;
            int end = plainStringEnd(start);
            if (end >= 0) {
                i = end + 1;
                for (int k = 0; k < names.length; k++) {
                    if (Arrays.equals(b, start, end, names[k], 0, names[k].length)) {
                        found = k;
                        break;
                    }
                }
                if (found < 0) {
                    decode(start, end); // a name the meter does not read must still be UTF-8
                }
            } else {
                // Escapes in a name: decode it and compare as text.
                String name = string();
                for (int k = 0; k < names.length; k++) {
                    if (name.equals(new String(names[k], StandardCharsets.US_ASCII))) {
                        found = k;
                        break;
                    }
                }
            }
            expect(':');
            if (found >= 0) {
                long bit = 1L << (depth * 16 + found);
                if ((seen & bit) != 0) {
                    throw malformed("a field twice");
                }
                seen |= bit;
            }
            return found;
        }

        /** A string, or null for JSON's null. */
        String text() {
            int c = peek();
            if (c == 'n') {
                literal("null");
                return null;
            }
            if (c != '"') {
                throw malformed("expected a string");
            }
            return string();
        }

        /** An integer (no fraction or exponent); null is 0. */
        long integer() {
            if (peek() == 'n') {
                literal("null");
                return 0;
            }
            int start = i;
            if (!passNumber()) {
                throw malformed("expected an integer");
            }
            return Long.parseLong(new String(b, start, i - start, StandardCharsets.ISO_8859_1));
        }

        /** A number; null is 0. */
        double number() {
            if (peek() == 'n') {
                literal("null");
                return 0;
            }
            int start = i;
            passNumber();
            return Double.parseDouble(new String(b, start, i - start, StandardCharsets.ISO_8859_1));
        }

        /** Skips one value of any kind, {@code depth} levels deep already. */
        void skip(int depth) {
            if (depth > MAX_DEPTH) {
                throw malformed("nested too deep");
            }
            switch (peek()) {
                case '{' -> {
                    i++;
                    if (!next('}')) {
                        do {
                            key(NONE, depth);
                            skip(depth + 1);
                        } while (next(','));
                        expect('}');
                    }
                }
                case '[' -> {
                    i++;
                    if (!next(']')) {
                        do {
                            skip(depth + 1);
                        } while (next(','));
                        expect(']');
                    }
                }
                case '"' -> string();
                case 't' -> literal("true");
                case 'f' -> literal("false");
                case 'n' -> literal("null");
                default -> passNumber();
            }
        }

        /**
         * A JSON number at the cursor (after {@link #peek}), checked against the grammar and passed: true when it is
         * an integer.
         */
        private boolean passNumber() {
            int start = i;
            if (i < b.length && b[i] == '-') {
                i++;
            }
            if (i < b.length && b[i] == '0') {
                i++;
            } else if (digits() == 0) {
                throw malformed("expected a value");
            }
            boolean integer = true;
            if (i < b.length && b[i] == '.') {
                i++;
                integer = false;
                if (digits() == 0) {
                    throw malformed("expected digits after '.'");
                }
            }
            if (i < b.length && (b[i] == 'e' || b[i] == 'E')) {
                i++;
                integer = false;
                if (i < b.length && (b[i] == '+' || b[i] == '-')) {
                    i++;
                }
                if (digits() == 0) {
                    throw malformed("expected an exponent");
                }
            }
            if (i < b.length && (Character.isLetterOrDigit(b[i]) || b[i] == '.' || b[i] == '-' || b[i] == '+')) {
                throw malformed("a number at " + start + " runs on");
            }
            return integer;
        }

        private int digits() {
            int start = i;
            while (i < b.length && b[i] >= '0' && b[i] <= '9') {
                i++;
            }
            return i - start;
        }

        private void literal(String word) {
            int n = word.length();
            if (i + n > b.length) {
                throw malformed("expected " + word);
            }
            for (int k = 0; k < n; k++) {
                if (b[i + k] != word.charAt(k)) {
                    throw malformed("expected " + word);
                }
            }
            i += n;
            if (i < b.length && Character.isLetterOrDigit(b[i])) {
                throw malformed("expected " + word);
            }
        }

        /**
         * Where the string starting at {@code from} (after its quote) ends, at its closing quote, when it has no
         * escapes; -1 when it has one. Throws on a control character or an unterminated string.
         */
        private int plainStringEnd(int from) {
            for (int k = from; k < b.length; k++) {
                byte c = b[k];
                if (c == '"') {
                    return k;
                }
                if (c == '\\') {
                    return -1;
                }
                if (c >= 0 && c < 0x20) {
                    throw malformed("a control character in a string");
                }
            }
            throw malformed("a string without its end");
        }

        /** The string at the cursor (its opening quote). */
        private String string() {
            int start = ++i;
            int end = plainStringEnd(start);
            if (end >= 0) {
                i = end + 1;
                return decode(start, end);
            }
            var text = new StringBuilder();
            int run = start;
            while (true) {
                if (i >= b.length) {
                    throw malformed("a string without its end");
                }
                byte c = b[i];
                if (c == '"') {
                    text.append(decode(run, i));
                    i++;
                    return text.toString();
                }
                if (c >= 0 && c < 0x20) {
                    throw malformed("a control character in a string");
                }
                if (c != '\\') {
                    i++;
                    continue;
                }
                text.append(decode(run, i));
                if (i + 1 >= b.length) {
                    throw malformed("a string without its end");
                }
                byte e = b[i + 1];
                i += 2;
                switch (e) {
                    case '"' -> text.append('"');
                    case '\\' -> text.append('\\');
                    case '/' -> text.append('/');
                    case 'b' -> text.append('\b');
                    case 'f' -> text.append('\f');
                    case 'n' -> text.append('\n');
                    case 'r' -> text.append('\r');
                    case 't' -> text.append('\t');
                    case 'u' -> {
                        if (i + 4 > b.length) {
                            throw malformed("a short \\u escape");
                        }
                        int v = 0;
                        for (int k = 0; k < 4; k++) {
                            int d = Character.digit(b[i + k], 16);
                            if (d < 0) {
                                throw malformed("a \\u escape that is not hexadecimal");
                            }
                            v = v * 16 + d;
                        }
                        i += 4;
                        text.append((char) v);
                    }
                    default -> throw malformed("an unknown escape \\" + (char) e);
                }
                run = i;
            }
        }

        /** Bytes {@code [from, to)} of a string, which must be UTF-8. */
        private String decode(int from, int to) {
            boolean ascii = true;
            for (int k = from; k < to; k++) {
                if (b[k] < 0) {
                    ascii = false;
                    break;
                }
            }
            if (ascii) {
                return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
            }
            try {
                return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b, from, to - from)).toString();
            } catch (CharacterCodingException e) {
                throw malformed("text that is not UTF-8");
            }
        }

        private IllegalArgumentException malformed(String what) {
            return new IllegalArgumentException("not JSON: " + what + " at byte " + i);
        }
    }
}
