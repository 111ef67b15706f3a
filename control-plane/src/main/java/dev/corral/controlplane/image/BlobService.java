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
import java.util.Optional;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import dev.corral.api.Blob;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.problem.NotFoundException;
import dev.corral.controlplane.problem.UnprocessableException;
import dev.corral.controlplane.store.StoreException;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.enterprise.context.ApplicationScoped;

/** Content-addressed storage for image parts, in PostgreSQL so every control-plane replica serves every blob. */
@ApplicationScoped
public class BlobService {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    @ConfigMapping(prefix = "corral.blobs")
    public interface BlobConfig {
        /** The largest upload accepted, in MiB. */
        @WithDefault("512")
        long maxSizeMiB();

        /**
         * The most file content a container layer may unpack to, in MiB, checked when an Image names it (nodes have
         * their own limit, corral.agent.containers.max-layer-bytes); bounds the work a small gzip bomb can cause.
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
            try (Connection c = dataSource.getConnection();
                 PreparedStatement s = c.prepareStatement("INSERT INTO blob (sha256, size, content) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
                 InputStream in = Files.newInputStream(spool)) {
                s.setString(1, sha);
                s.setLong(2, size);
                s.setBinaryStream(3, in, size);
                return new Stored(new Blob(sha, size), s.executeUpdate() == 1);
            }
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

    /** The first {@code length} bytes of a blob (fewer when it is shorter), read without loading the rest. */
    public byte[] head(String sha256, int length) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT substring(content from 1 for ?) FROM blob WHERE sha256 = ?")) {
            s.setInt(1, length);
            s.setString(2, sha256);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw new NotFoundException("Blob", sha256);
                }
                return rs.getBytes(1);
            }
        } catch (SQLException e) {
            throw new StoreException("reading blob " + sha256, e);
        }
    }

    /** The whole blob. */
    public byte[] content(String sha256) {
        return head(sha256, Integer.MAX_VALUE);
    }
}
