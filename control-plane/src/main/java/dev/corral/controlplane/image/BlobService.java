package dev.corral.controlplane.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import dev.corral.api.Blob;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.problem.UnprocessableException;
import dev.corral.controlplane.store.StoreException;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Content-addressed storage for image parts, in PostgreSQL so every control-plane replica serves every blob. A blob's
 * content is kept in chunks of {@link #CHUNK} bytes and read one chunk at a time ({@link #open}), so neither a download
 * nor a layer scan holds more than a chunk of it in memory, whatever its size.
 */
@ApplicationScoped
public class BlobService {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** The size of every chunk of a blob but its last (V14__blob_chunks.sql checks it). */
    static final int CHUNK = 1 << 20;

    @ConfigMapping(prefix = "corral.blobs")
    public interface BlobConfig {
        /** The largest upload accepted, in MiB. */
        @WithDefault("512")
        long maxSizeMiB();

        /**
         * The most a container layer may unpack to, in MiB, checked when an Image names it: its files' content, and its
         * tar uncompressed as a whole (nodes have their own limit, corral.agent.containers.max-layer-bytes); bounds the
         * work a small gzip bomb can cause.
         */
        @WithDefault("8192")
        long maxLayerMiB();
    }

    private final DataSource dataSource;
    private final BlobConfig config;

    BlobService(DataSource dataSource, BlobConfig config) {
        this.dataSource = dataSource;
        this.config = config;
    }

    public record Stored(Blob blob, boolean created) {
    }

    /**
     * Stores an upload. Spooled to a temporary file while its digest is computed; stored once per digest.
     *
     * @param expectedSha256 when given, the upload must have this digest (a corrupted transfer is a 422)
     */
    public Stored put(InputStream content, String expectedSha256) {
        if (expectedSha256 != null && !SHA256.matcher(expectedSha256).matches()) {
            throw InvalidException.field("sha256", "must be 64 lowercase hex digits");
        }
        Path spool = null;
        try {
            spool = Files.createTempFile("corral-blob-", ".part");
            var digest = MessageDigest.getInstance("SHA-256");
            long size;
            long max = config.maxSizeMiB() * 1024 * 1024;
            try (InputStream in = new DigestInputStream(content, digest); OutputStream out = Files.newOutputStream(spool)) {
                size = copyAtMost(in, out, max);
            }
            if (size == 0) {
                throw InvalidException.field("body", "the upload is empty");
            }
            String sha = HexFormat.of().formatHex(digest.digest());
            if (expectedSha256 != null && !expectedSha256.equals(sha)) {
                throw new UnprocessableException("The upload's SHA-256 is " + sha + ", not the expected " + expectedSha256
                        + ": the content was corrupted or is not the file you meant.");
            }
            return new Stored(new Blob(sha, size), store(sha, size, spool));
        } catch (IOException e) {
            throw new InvalidException("The upload could not be read: " + e.getMessage(), java.util.List.of());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (SQLException e) {
            throw new StoreException("storing a blob", e);
        } finally {
            if (spool != null) {
                try {
                    Files.deleteIfExists(spool);
                } catch (IOException ignored) {
                    // a leftover temporary file is harmless
                }
            }
        }
    }

    private long copyAtMost(InputStream in, OutputStream out, long max) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) > 0; ) {
            total += n;
            if (total > max) {
                throw new UnprocessableException("The upload is larger than the " + config.maxSizeMiB() + " MiB limit (corral.blobs.max-size-mi-b).");
            }
            out.write(buffer, 0, n);
        }
        return total;
    }

    /** The most file content a container layer may unpack to, in bytes. */
    public long maxLayerBytes() {
        return config.maxLayerMiB() * 1024 * 1024;
    }

    public Optional<Blob> find(String sha256) {
        if (!SHA256.matcher(sha256).matches()) {
            return Optional.empty();
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT size FROM blob WHERE sha256 = ?")) {
            s.setString(1, sha256);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(new Blob(sha256, rs.getLong(1))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading blob " + sha256, e);
        }
    }

    /**
     * Stores a spooled upload: the blob's row and its chunks in one transaction, so that a reader finds either no blob
     * or all of it. Another upload of the same content that committed first (or commits while this one waits on its
     * row) makes this one store nothing.
     *
     * @return whether this upload stored it
     */
    private boolean store(String sha256, long size, Path spool) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                boolean created;
                try (PreparedStatement s = c.prepareStatement("INSERT INTO blob (sha256, size) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
                    s.setString(1, sha256);
                    s.setLong(2, size);
                    created = s.executeUpdate() == 1;
                }
                if (created) {
                    try (PreparedStatement s = c.prepareStatement("INSERT INTO blob_chunk (sha256, seq, content) VALUES (?, ?, ?)");
                         InputStream in = Files.newInputStream(spool)) {
                        s.setString(1, sha256);
                        long stored = 0;
                        for (int seq = 0; stored < size; seq++) {
                            byte[] chunk = in.readNBytes((int) Math.min(CHUNK, size - stored));
                            if (chunk.length == 0) {
                                throw new IOException("the spooled upload ended at byte " + stored + " of " + size);
                            }
                            s.setInt(2, seq);
                            s.setBytes(3, chunk);
                            s.executeUpdate();
                            stored += chunk.length;
                        }
                    }
                }
                c.commit();
                return created;
            } catch (IOException e) {
                c.rollback();
                throw new StoreException("storing blob " + sha256 + " from its spooled upload", e);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /**
     * The first {@code length} bytes of a blob (fewer when it is shorter), read a chunk at a time, no further. The
     * blob as {@link #find} gave it: its caller resolved it already, so it is not looked up again.
     */
    public byte[] head(Blob blob, int length) {
        try (InputStream in = open(blob)) {
            return in.readNBytes(length);
        } catch (IOException e) {
            throw new StoreException("reading blob " + blob.sha256(), e);
        }
    }

    /** The whole content of a blob known to be small (an image config, checked against its limit first). */
    public byte[] content(Blob blob) {
        return head(blob, Integer.MAX_VALUE);
    }

    /**
     * A blob's content as a stream that reads one chunk at a time, each with a connection of its own held only for
     * that query: a slow reader holds no connection. The database failing, or a chunk missing or of the wrong size
     * (the database changed by hand), is a {@link StoreException} from {@code read} at that point (unchecked, so that
     * a reader that takes an {@link IOException} for bad content, like a layer scan, does not take it for one), never
     * a short or long stream.
     */
    public InputStream open(Blob blob) {
        return new ChunkStream(blob);
    }

    private final class ChunkStream extends InputStream {
        private final Blob blob;
        private byte[] chunk = new byte[0];
        private int position;
        private int nextSeq;
        private long read;

        ChunkStream(Blob blob) {
            this.blob = blob;
        }

        @Override
        public int read() {
            return fill() ? chunk[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            Objects.checkFromIndexSize(offset, length, buffer.length);
            if (length == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int n = Math.min(length, chunk.length - position);
            System.arraycopy(chunk, position, buffer, offset, n);
            position += n;
            return n;
        }

        @Override
        public int available() {
            return chunk.length - position;
        }

        /** Whether there is something to read, loading the next chunk when this one is used up. */
        private boolean fill() {
            if (position < chunk.length) {
                return true;
            }
            if (read == blob.size()) {
                return false;
            }
            byte[] next = chunk(nextSeq);
            long expected = Math.min(CHUNK, blob.size() - read);
            if (next == null || next.length != expected) {
                throw new StoreException("reading blob " + blob.sha256(), new IOException("its chunk " + nextSeq + " is "
                        + (next == null ? "missing" : next.length + " bytes, not " + expected)));
            }
            chunk = next;
            position = 0;
            nextSeq++;
            read += next.length;
            return true;
        }

        private byte[] chunk(int seq) {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement s = c.prepareStatement("SELECT content FROM blob_chunk WHERE sha256 = ? AND seq = ?")) {
                s.setString(1, blob.sha256());
                s.setInt(2, seq);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? rs.getBytes(1) : null;
                }
            } catch (SQLException e) {
                throw new StoreException("reading chunk " + seq + " of blob " + blob.sha256(), e);
            }
        }
    }
}
