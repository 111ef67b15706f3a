package dev.corral.controlplane.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Random;
import java.util.UUID;

import javax.sql.DataSource;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * V14 on a database that an older control plane filled (the local cloud's data directory survives upgrades): every
 * blob's content moves into chunks of 1 MiB, byte for byte, the compressed ones included. Runs the migrations in a
 * schema of its own, up to V13 and then to the end.
 */
@QuarkusTest
class BlobChunksMigrationIT {

    private static final int MIB = 1 << 20;

    @Inject
    DataSource dataSource;

    @Test
    void upgradingMovesEveryBlobIntoChunksByteForByte() throws SQLException {
        String schema = "upgrade_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        migrate(schema, "13");
        var random = new Random(14);
        var blobs = new LinkedHashMap<String, byte[]>();
        byte[] incompressible = new byte[2 * MIB + 1000];
        random.nextBytes(incompressible);
        blobs.put("a".repeat(64), incompressible);
        // Text that PostgreSQL stores compressed: V14 decompresses it once, not once per chunk.
        var text = new StringBuilder();
        while (text.length() < 5 * MIB / 2) {
            text.append("line ").append(text.length() % 977).append(" of a disk image that compresses well\n");
        }
        blobs.put("b".repeat(64), text.toString().getBytes(StandardCharsets.US_ASCII));
        byte[] exact = new byte[MIB];
        random.nextBytes(exact);
        blobs.put("c".repeat(64), exact);
        blobs.put("d".repeat(64), "tiny".getBytes(StandardCharsets.US_ASCII));
        try (var c = dataSource.getConnection();
             var s = c.prepareStatement("INSERT INTO " + schema + ".blob (sha256, size, content) VALUES (?, ?, ?)")) {
            for (var blob : blobs.entrySet()) {
                s.setString(1, blob.getKey());
                s.setLong(2, blob.getValue().length);
                s.setBytes(3, blob.getValue());
                s.executeUpdate();
            }
        }
        try (var c = dataSource.getConnection(); var s = c.createStatement();
             var rs = s.executeQuery("SELECT pg_column_compression(content) FROM " + schema + ".blob WHERE sha256 = '"
                     + "b".repeat(64) + "'")) {
            rs.next();
            assertThat(rs.getString(1)).as("the text blob stored compressed").isNotNull();
        }
        migrate(schema, "latest");
        for (var blob : blobs.entrySet()) {
            var whole = new ByteArrayOutputStream();
            int chunks = 0;
            try (var c = dataSource.getConnection();
                 var s = c.prepareStatement("SELECT seq, content FROM " + schema + ".blob_chunk WHERE sha256 = ? ORDER BY seq")) {
                s.setString(1, blob.getKey());
                try (var rs = s.executeQuery()) {
                    while (rs.next()) {
                        assertThat(rs.getInt(1)).isEqualTo(chunks++);
                        whole.writeBytes(rs.getBytes(2));
                    }
                }
            }
            int length = blob.getValue().length;
            assertThat(chunks).as("chunks of %s", blob.getKey()).isEqualTo((length + MIB - 1) / MIB);
            assertThat(HexFormat.of().formatHex(whole.toByteArray())).as("content of %s", blob.getKey())
                    .isEqualTo(HexFormat.of().formatHex(blob.getValue()));
        }
        try (var c = dataSource.getConnection(); var s = c.createStatement();
             var rs = s.executeQuery("SELECT count(*) FROM information_schema.columns WHERE table_schema = '" + schema
                     + "' AND table_name = 'blob' AND column_name = 'content'")) {
            rs.next();
            assertThat(rs.getInt(1)).as("blob.content dropped").isZero();
        }
        try (var c = dataSource.getConnection(); var s = c.createStatement()) {
            s.execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }

    private void migrate(String schema, String target) {
        Flyway.configure().dataSource(dataSource).schemas(schema).locations("classpath:db/migration").target(target).load().migrate();
    }
}
