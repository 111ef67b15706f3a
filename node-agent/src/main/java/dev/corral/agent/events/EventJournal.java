package dev.corral.agent.events;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The agent's durable outbox for lifecycle events: an append-only file of records, each fsynced before
 * {@link #append} returns, and a cursor file with the position up to which Kafka acknowledged them. An agent that
 * restarts, or a broker that is away, loses nothing; the journal is bounded, and a full journal refuses new
 * events with a clear error rather than growing without end.
 *
 * <p>Record: {@code int length, int crc32c, length bytes of key NUL value} (UTF-8). A torn last record (a crash
 * mid-write) fails its length or checksum and is cut off when the journal is opened.
 */
public final class EventJournal implements AutoCloseable {

    /** One event in the journal, and where it ends (the cursor value once it is delivered). */
    public record Entry(long end, String key, String value) {
    }

    /** Too many undelivered events: Kafka has been away for long. */
    public static final class JournalFullException extends RuntimeException {
        JournalFullException(String message) {
            super(message);
        }
    }

    private static final int HEADER = 8;

    private final FileChannel log;
    private final FileChannel cursor;
    private final long maxBytes;
    private long delivered;

    private EventJournal(FileChannel log, FileChannel cursor, long maxBytes) throws IOException {
        this.log = log;
        this.cursor = cursor;
        this.maxBytes = maxBytes;
        var buffer = ByteBuffer.allocate(8);
        this.delivered = cursor.read(buffer, 0) == 8 ? buffer.flip().getLong() : 0;
        long end = validEnd();
        if (end < log.size()) {
            log.truncate(end);
            log.force(true);
        }
        if (delivered > end) {
            delivered = end;
        }
    }

    public static EventJournal open(Path directory, long maxBytes) {
        try {
            Files.createDirectories(directory);
            var log = FileChannel.open(directory.resolve("events.journal"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            var cursor = FileChannel.open(directory.resolve("events.delivered"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            return new EventJournal(log, cursor, maxBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the event journal in " + directory, e);
        }
    }

    /** Where the intact records end: a torn or corrupt tail starts there. */
    private long validEnd() throws IOException {
        long position = 0;
        long size = log.size();
        var header = ByteBuffer.allocate(HEADER);
        while (position + HEADER <= size) {
            header.clear();
            log.read(header, position);
            header.flip();
            int length = header.getInt();
            int crc = header.getInt();
            if (length < 0 || position + HEADER + length > size) {
                break;
            }
            var payload = ByteBuffer.allocate(length);
            log.read(payload, position + HEADER);
            if (crc(payload.array()) != crc) {
                break;
            }
            position += HEADER + length;
        }
        return position;
    }

    /** Appends an event and forces it to disk. */
    public synchronized void append(String key, String value) {
        byte[] payload = (key + '\0' + value).getBytes(StandardCharsets.UTF_8);
        try {
            long end = log.size();
            if (end - delivered + HEADER + payload.length > maxBytes) {
                throw new JournalFullException("the event journal holds " + (end - delivered) + " bytes of undelivered events (limit "
                        + maxBytes + "): Kafka has been unreachable too long; this event is refused");
            }
            var record = ByteBuffer.allocate(HEADER + payload.length).putInt(payload.length).putInt(crc(payload)).put(payload).flip();
            while (record.hasRemaining()) {
                log.write(record, end + record.position());
            }
            log.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the event journal", e);
        }
    }

    /** Up to {@code max} undelivered events, oldest first. */
    public synchronized List<Entry> pending(int max) {
        var entries = new ArrayList<Entry>();
        try {
            long position = delivered;
            long size = log.size();
            var header = ByteBuffer.allocate(HEADER);
            while (entries.size() < max && position + HEADER <= size) {
                header.clear();
                log.read(header, position);
                int length = header.flip().getInt();
                var payload = ByteBuffer.allocate(length);
                log.read(payload, position + HEADER);
                String text = new String(payload.array(), StandardCharsets.UTF_8);
                int nul = text.indexOf('\0');
                position += HEADER + length;
                entries.add(new Entry(position, text.substring(0, nul), text.substring(nul + 1)));
            }
            return entries;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the event journal", e);
        }
    }

    /** Records that everything up to and including {@code entry} was acknowledged by Kafka. */
    public synchronized void delivered(Entry entry) {
        try {
            delivered = entry.end();
            if (delivered == log.size()) {
                // Everything is out: start the file again so it never grows past what is pending.
                log.truncate(0);
                log.force(true);
                delivered = 0;
            }
            cursor.write(ByteBuffer.allocate(8).putLong(0, delivered), 0);
            cursor.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record delivery in the event journal", e);
        }
    }

    /** Bytes of undelivered events. */
    public synchronized long pendingBytes() {
        try {
            return log.size() - delivered;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int crc(byte[] payload) {
        var crc = new CRC32C();
        crc.update(payload);
        return (int) crc.getValue();
    }

    @Override
    public synchronized void close() {
        try {
            log.close();
            cursor.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
