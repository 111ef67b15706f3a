package dev.corral.engine.boot.acpi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A small encoder for the ACPI Machine Language (ACPI 6.3, chapter 20 "ACPI Machine Language Specification"): the
 * few terms a VMM's DSDT needs — names, scopes, devices, packages, buffers, integers, strings and EISA ids, and for
 * the one control method it has (a PCI host bridge's {@code _OSC}) methods, arguments, If/Else, LEqual, LNot, Or,
 * CreateDWordField and Return — each turned into its AML bytes. A term is a value; nesting builds the namespace,
 * and every enclosing term's PkgLength is computed from the bytes of what it holds.
 *
 * <p>Names are given as in ASL: {@code "_SB"}, {@code "\\_SB.COM1"}, {@code "^PCI0"}; segments shorter than four
 * characters are padded with underscores, as the ASL compiler does.
 */
public final class Aml {

    // Opcodes (ACPI 6.3, 20.3 "AML Byte Stream Byte Values").
    static final int ZERO_OP = 0x00, ONE_OP = 0x01, ONES_OP = 0xff;
    static final int NAME_OP = 0x08, BYTE_PREFIX = 0x0a, WORD_PREFIX = 0x0b, DWORD_PREFIX = 0x0c, STRING_PREFIX = 0x0d;
    static final int QWORD_PREFIX = 0x0e, SCOPE_OP = 0x10, BUFFER_OP = 0x11, PACKAGE_OP = 0x12;
    static final int DUAL_NAME_PREFIX = 0x2e, MULTI_NAME_PREFIX = 0x2f, ROOT_CHAR = '\\', PARENT_PREFIX_CHAR = '^';
    static final int EXT_OP_PREFIX = 0x5b, DEVICE_OP = 0x82;
    static final int METHOD_OP = 0x14, ARG0_OP = 0x68, OR_OP = 0x7d, CREATE_DWORD_FIELD_OP = 0x8a, LNOT_OP = 0x92, LEQUAL_OP = 0x93;
    static final int IF_OP = 0xa0, ELSE_OP = 0xa1, RETURN_OP = 0xa4;
    static final int MAX_METHOD_ARGS = 7, SERIALIZED = 0x08;

    /** PkgLength holds at most 28 bits (a lead byte's 4 bits and three more bytes). */
    static final int MAX_PACKAGE_LENGTH = (1 << 28) - 1;

    /** A piece of AML that knows its own bytes. */
    @FunctionalInterface
    public interface Term {
        void encode(ByteArrayOutputStream out);

        default byte[] bytes() {
            var out = new ByteArrayOutputStream();
            encode(out);
            return out.toByteArray();
        }
    }

    private Aml() {
    }

    /** An integer constant in the shortest encoding: Zero, One, or a Byte/Word/DWord/QWord prefix. */
    public static Term integer(long value) {
        return out -> {
            if (value == 0) {
                out.write(ZERO_OP);
            } else if (value == 1) {
                out.write(ONE_OP);
            } else if (value >= 0 && value <= 0xff) {
                out.write(BYTE_PREFIX);
                out.write((int) value);
            } else if (value >= 0 && value <= 0xffff) {
                out.write(WORD_PREFIX);
                littleEndian(out, value, 2);
            } else if (value >= 0 && value <= 0xffff_ffffL) {
                out.write(DWORD_PREFIX);
                littleEndian(out, value, 4);
            } else {
                out.write(QWORD_PREFIX);
                littleEndian(out, value, 8);
            }
        };
    }

    /** The Ones constant: all bits set (0xffffffffffffffff in a revision-2 definition block). */
    public static Term ones() {
        return out -> out.write(ONES_OP);
    }

    /** A string constant: ASCII 0x01-0x7f, null-terminated. */
    public static Term string(String value) {
        for (char c : value.toCharArray()) {
            if (c < 0x01 || c > 0x7f) {
                throw new IllegalArgumentException("an AML string holds ASCII 0x01-0x7f, not 0x" + Integer.toHexString(c) + " in \"" + value + "\"");
            }
        }
        return out -> {
            out.write(STRING_PREFIX);
            out.writeBytes(value.getBytes(StandardCharsets.US_ASCII));
            out.write(0);
        };
    }

    /**
     * A plug-and-play id such as {@code "PNP0501"} in its compressed EISA form (ASL's {@code EisaId()}): three
     * letters of five bits each and four hex digits, stored big-endian as a DWord.
     */
    public static Term eisaId(String id) {
        return integer(Integer.toUnsignedLong(eisaIdValue(id)));
    }

    static int eisaIdValue(String id) {
        if (!id.matches("[A-Z]{3}[0-9A-F]{4}")) {
            throw new IllegalArgumentException("an EISA id is three capital letters and four hex digits, not \"" + id + "\"");
        }
        int vendor = ((id.charAt(0) - 0x40) << 10) | ((id.charAt(1) - 0x40) << 5) | (id.charAt(2) - 0x40);
        int product = Integer.parseInt(id.substring(3), 16);
        int bigEndian = (vendor << 16) | product;
        return Integer.reverseBytes(bigEndian);
    }

    /** {@code Name(name, value)}: a named object holding a constant. */
    public static Term name(String name, Term value) {
        byte[] path = nameString(name);
        return out -> {
            out.write(NAME_OP);
            out.writeBytes(path);
            value.encode(out);
        };
    }

    /** {@code Scope(name) { body }}: opens an existing scope, such as {@code \_SB}. */
    public static Term scope(String name, List<? extends Term> body) {
        byte[] path = nameString(name);
        var terms = List.<Term>copyOf(body);
        return out -> {
            out.write(SCOPE_OP);
            withLength(out, concat(path, terms));
        };
    }

    /** {@code Device(name) { body }}. */
    public static Term device(String name, List<? extends Term> body) {
        byte[] path = nameString(name);
        var terms = List.<Term>copyOf(body);
        return out -> {
            out.write(EXT_OP_PREFIX);
            out.write(DEVICE_OP);
            withLength(out, concat(path, terms));
        };
    }

    /** {@code Package() { elements }}: at most 255 elements (a VarPackage would be needed beyond that). */
    public static Term pkg(List<? extends Term> elements) {
        if (elements.size() > 0xff) {
            throw new IllegalArgumentException("a Package holds at most 255 elements, not " + elements.size());
        }
        var terms = List.<Term>copyOf(elements);
        return out -> {
            var body = new ByteArrayOutputStream();
            body.write(terms.size());
            for (var e : terms) {
                e.encode(body);
            }
            out.write(PACKAGE_OP);
            withLength(out, body.toByteArray());
        };
    }

    public static Term pkg(Term... elements) {
        return pkg(List.of(elements));
    }

    /** {@code Buffer() { bytes }}: its size is an integer term ahead of the bytes. */
    public static Term buffer(byte[] bytes) {
        byte[] copy = bytes.clone();
        return out -> {
            var body = new ByteArrayOutputStream();
            integer(copy.length).encode(body);
            body.writeBytes(copy);
            out.write(BUFFER_OP);
            withLength(out, body.toByteArray());
        };
    }

    /**
     * {@code ToUUID("aabbccdd-eeff-gghh-iijj-kkllmmnnoopp")}: the 16-byte buffer ACPI makes of a UUID (ACPI 6.3,
     * 19.6.142), its first three fields little-endian and the last two in the order written.
     */
    public static Term uuid(String uuid) {
        java.util.UUID parsed;
        try {
            parsed = java.util.UUID.fromString(uuid);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + uuid + "\" is not a UUID", e);
        }
        if (!parsed.toString().equalsIgnoreCase(uuid)) {
            throw new IllegalArgumentException("\"" + uuid + "\" is not a UUID in its 8-4-4-4-12 form");
        }
        long msb = parsed.getMostSignificantBits();
        long lsb = parsed.getLeastSignificantBits();
        var out = new ByteArrayOutputStream();
        littleEndian(out, msb >>> 32, 4);
        littleEndian(out, msb >>> 16, 2);
        littleEndian(out, msb, 2);
        for (int i = 7; i >= 0; i--) {
            out.write((int) (lsb >>> (8 * i)) & 0xff);
        }
        return buffer(out.toByteArray());
    }

    /**
     * {@code Method(name, args, Serialized | NotSerialized) { body }} at sync level 0. A serialized method runs one
     * call at a time, which a method creating named objects (a CreateDWordField) must be.
     */
    public static Term method(String name, int args, boolean serialized, List<? extends Term> body) {
        if (args < 0 || args > MAX_METHOD_ARGS) {
            throw new IllegalArgumentException("a method takes 0-" + MAX_METHOD_ARGS + " arguments, not " + args);
        }
        byte[] head = concat(nameString(name), List.of(out -> out.write(args | (serialized ? SERIALIZED : 0))));
        var terms = List.<Term>copyOf(body);
        return out -> {
            out.write(METHOD_OP);
            withLength(out, concat(head, terms));
        };
    }

    /** {@code ArgN}: the method's argument {@code n} (0-6). */
    public static Term arg(int n) {
        if (n < 0 || n >= MAX_METHOD_ARGS) {
            throw new IllegalArgumentException("a method's arguments are Arg0-Arg6, not Arg" + n);
        }
        return out -> out.write(ARG0_OP + n);
    }

    /** A named object used as an operand or a target, by its ASL path ({@code "CDW1"}, {@code "\\_SB.PCI0"}). */
    public static Term reference(String path) {
        byte[] encoded = nameString(path);
        return out -> out.writeBytes(encoded);
    }

    /** {@code If (predicate) { then } Else { otherwise }}; no Else when {@code otherwise} is empty. */
    public static Term ifElse(Term predicate, List<? extends Term> then, List<? extends Term> otherwise) {
        var thenTerms = List.<Term>copyOf(then);
        var elseTerms = List.<Term>copyOf(otherwise);
        return out -> {
            out.write(IF_OP);
            withLength(out, concat(predicate.bytes(), thenTerms));
            if (!elseTerms.isEmpty()) {
                out.write(ELSE_OP);
                withLength(out, concat(new byte[0], elseTerms));
            }
        };
    }

    /** {@code LEqual(a, b)}: One if the integers (or strings, buffers) are equal, else Zero. */
    public static Term lEqual(Term a, Term b) {
        return out -> {
            out.write(LEQUAL_OP);
            a.encode(out);
            b.encode(out);
        };
    }

    /** {@code LNot(a)}; ASL's LNotEqual(a, b) is LNot(LEqual(a, b)). */
    public static Term lNot(Term a) {
        return out -> {
            out.write(LNOT_OP);
            a.encode(out);
        };
    }

    /** {@code Or(a, b, target)}: the bitwise or of two integers, stored in {@code target}. */
    public static Term or(Term a, Term b, Term target) {
        return out -> {
            out.write(OR_OP);
            a.encode(out);
            b.encode(out);
            target.encode(out);
        };
    }

    /** {@code CreateDWordField(buffer, byteIndex, name)}: a named 32-bit field at a byte offset of a buffer. */
    public static Term createDWordField(Term buffer, Term byteIndex, String name) {
        byte[] field = nameString(name);
        return out -> {
            out.write(CREATE_DWORD_FIELD_OP);
            buffer.encode(out);
            byteIndex.encode(out);
            out.writeBytes(field);
        };
    }

    /** {@code Return(value)}. */
    public static Term returnValue(Term value) {
        return out -> {
            out.write(RETURN_OP);
            value.encode(out);
        };
    }

    /** Several terms one after the other, as a TermList. */
    public static Term sequence(List<? extends Term> terms) {
        var copy = List.<Term>copyOf(terms);
        return out -> copy.forEach(t -> t.encode(out));
    }

    /**
     * The NameString for an ASL path: an optional root ({@code \}) or parent ({@code ^}) prefix, then dot-separated
     * segments of 1-4 characters (a capital letter or underscore, then capitals, digits or underscores), each padded
     * to four with underscores. One segment is written bare, two with DualNamePrefix, more with MultiNamePrefix.
     */
    static byte[] nameString(String path) {
        var out = new ByteArrayOutputStream();
        int i = 0;
        if (path.startsWith("\\")) {
            out.write(ROOT_CHAR);
            i = 1;
        } else {
            while (i < path.length() && path.charAt(i) == '^') {
                out.write(PARENT_PREFIX_CHAR);
                i++;
            }
        }
        String rest = path.substring(i);
        if (rest.isEmpty()) {
            if (i == 0) {
                throw new IllegalArgumentException("an AML name is not empty");
            }
            out.write(0); // NullName: the root or parent scope itself
            return out.toByteArray();
        }
        String[] segments = rest.split("\\.", -1);
        if (segments.length > 0xff) {
            throw new IllegalArgumentException("an AML name path has at most 255 segments: " + path);
        }
        if (segments.length == 2) {
            out.write(DUAL_NAME_PREFIX);
        } else if (segments.length > 2) {
            out.write(MULTI_NAME_PREFIX);
            out.write(segments.length);
        }
        for (String segment : segments) {
            out.writeBytes(nameSeg(segment, path));
        }
        return out.toByteArray();
    }

    private static byte[] nameSeg(String segment, String path) {
        if (!segment.matches("[A-Z_][A-Z0-9_]{0,3}")) {
            throw new IllegalArgumentException("\"" + segment + "\" in \"" + path
                    + "\" is not an AML name segment (1-4 of A-Z, 0-9, _, not starting with a digit)");
        }
        return (segment + "___".substring(0, 4 - segment.length())).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * PkgLength (ACPI 6.3, 20.2.4): the length of what follows the opcode, counting the PkgLength bytes themselves.
     * Below 64 it fits the lead byte's low 6 bits; otherwise bits 7-6 of the lead byte say how many bytes follow
     * (1-3), its bits 3-0 are the length's low nibble and the following bytes its higher bits, least significant
     * first.
     */
    static byte[] pkgLength(int contentLength) {
        if (contentLength < 0) {
            throw new IllegalArgumentException("a length is not negative: " + contentLength);
        }
        for (int extra = 0; extra <= 3; extra++) {
            long total = (long) contentLength + 1 + extra;
            long limit = extra == 0 ? 0x3f : (1L << (4 + 8 * extra)) - 1;
            if (total <= limit) {
                byte[] encoded = new byte[1 + extra];
                if (extra == 0) {
                    encoded[0] = (byte) total;
                } else {
                    encoded[0] = (byte) ((extra << 6) | (total & 0x0f));
                    for (int b = 1; b <= extra; b++) {
                        encoded[b] = (byte) (total >>> (4 + 8 * (b - 1)));
                    }
                }
                return encoded;
            }
        }
        throw new IllegalArgumentException("an AML package of " + contentLength + " bytes is longer than PkgLength can say ("
                + MAX_PACKAGE_LENGTH + ")");
    }

    private static void withLength(ByteArrayOutputStream out, byte[] content) {
        out.writeBytes(pkgLength(content.length));
        out.writeBytes(content);
    }

    private static byte[] concat(byte[] head, List<Term> terms) {
        var out = new ByteArrayOutputStream();
        out.writeBytes(head);
        for (var t : terms) {
            t.encode(out);
        }
        return out.toByteArray();
    }

    private static void littleEndian(ByteArrayOutputStream out, long value, int bytes) {
        for (int i = 0; i < bytes; i++) {
            out.write((int) (value >>> (8 * i)) & 0xff);
        }
    }
}
