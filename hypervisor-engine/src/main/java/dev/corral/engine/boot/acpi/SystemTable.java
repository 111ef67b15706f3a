package dev.corral.engine.boot.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The header every ACPI system description table starts with (ACPI 6.3, 5.2.6), and the checksum that makes a
 * table's bytes sum to zero. All of Corral's tables carry the same OEM and creator fields.
 */
final class SystemTable {

    static final int HEADER_SIZE = 36;
    static final int CHECKSUM_OFFSET = 9;
    static final String OEM_ID = "CORRAL";       // 6 characters
    static final String OEM_TABLE_ID = "CORRALVM"; // 8 characters
    static final int OEM_REVISION = 1;
    static final String CREATOR_ID = "CRRL";      // 4 characters: the "compiler" that made the table
    static final int CREATOR_REVISION = 1;

    private SystemTable() {
    }

    /** A little-endian buffer of {@code length} bytes, positioned after the header (filled in by {@link #seal}). */
    static ByteBuffer start(int length) {
        return ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN).position(HEADER_SIZE);
    }

    /**
     * Writes the header into {@code table} (its whole array is the table) and its checksum; returns the bytes.
     */
    static byte[] seal(ByteBuffer table, String signature, int revision) {
        byte[] bytes = table.array();
        var header = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        header.put(ascii(signature, 4)).putInt(bytes.length).put((byte) revision).put((byte) 0);
        header.put(ascii(OEM_ID, 6)).put(ascii(OEM_TABLE_ID, 8)).putInt(OEM_REVISION);
        header.put(ascii(CREATOR_ID, 4)).putInt(CREATOR_REVISION);
        bytes[CHECKSUM_OFFSET] = checksum(bytes, 0, bytes.length);
        return bytes;
    }

    /** The same header around a body given as bytes (the DSDT's AML). */
    static byte[] of(String signature, int revision, byte[] body) {
        var table = start(HEADER_SIZE + body.length);
        table.put(body);
        return seal(table, signature, revision);
    }

    /** The byte that makes {@code bytes[from, to)} sum to zero, modulo 256. */
    static byte checksum(byte[] bytes, int from, int to) {
        int sum = 0;
        for (int i = from; i < to; i++) {
            sum += bytes[i];
        }
        return (byte) -sum;
    }

    static byte[] ascii(String text, int length) {
        if (text.length() != length) {
            throw new IllegalArgumentException("\"" + text + "\" is not " + length + " characters");
        }
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A Generic Address Structure (5.2.3.2) for a register block in I/O space: address space 1, {@code bits} wide,
     * at bit offset 0, accessed {@code accessBytes} at a time (1, 2, 4 or 8; 0 for "undefined").
     */
    static void ioAddress(ByteBuffer table, int port, int bits, int accessBytes) {
        int accessSize = switch (accessBytes) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> 2;
            case 4 -> 3;
            case 8 -> 4;
            default -> throw new IllegalArgumentException("a register is accessed 1, 2, 4 or 8 bytes at a time, not " + accessBytes);
        };
        table.put((byte) 1).put((byte) bits).put((byte) 0).put((byte) accessSize).putLong(port);
    }

    /** A Generic Address Structure saying "not present": all zeros. */
    static void noAddress(ByteBuffer table) {
        table.put(new byte[12]);
    }
}
