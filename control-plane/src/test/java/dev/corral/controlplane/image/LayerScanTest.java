package dev.corral.controlplane.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import dev.corral.api.Image;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;

/** The import's check of a layer reads no more than the layer may unpack to, whatever follows its archive. */
class LayerScanTest {

    private static final String GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

    @Test
    void aLayerWithinTheLimitPasses() throws Exception {
        byte[] tar = tarOfOneFile();
        LayerScan.check(0, layer(tar), new ByteArrayInputStream(gzip(tar)), 1 << 20);
    }

    @Test
    void whatFollowsTheEndOfTheArchiveCountsTowardTheLimit() throws Exception {
        // A tar of one small file, then 64 MiB of zeros: 64 KiB gzip'd. Read through for the diff id, it made the
        // control plane read all of it whatever the limit.
        byte[] tar = tarOfOneFile();
        byte[] zeros = Arrays.copyOf(tar, tar.length + (64 << 20));
        assertThat(gzip(zeros).length).isLessThan(1 << 20);
        assertThatThrownBy(() -> LayerScan.check(3, layer(zeros), new ByteArrayInputStream(gzip(zeros)), 1 << 20))
                .isInstanceOf(LayerScan.BadLayerException.class)
                .hasMessageStartingWith("layer 3 (blob ").hasMessageEndingWith(" unpacks to more than 1048576 bytes (corral.blobs.max-layer-mi-b)");
        // Bytes that do not compress: the check stops about where the limit is, not at the end of the blob.
        byte[] noise = Arrays.copyOf(tar, tar.length + (8 << 20));
        var random = new Random(6);
        for (int i = tar.length; i < noise.length; i++) {
            noise[i] = (byte) random.nextInt();
        }
        var counted = new CountingStream(gzip(noise));
        assertThatThrownBy(() -> LayerScan.check(0, layer(noise), counted, 1 << 20)).isInstanceOf(LayerScan.BadLayerException.class)
                .hasMessageEndingWith(" unpacks to more than 1048576 bytes (corral.blobs.max-layer-mi-b)");
        assertThat(counted.read).as("compressed bytes read before the refusal").isLessThan(2 << 20);
    }

    private static Image.Layer layer(byte[] tar) throws Exception {
        return new Image.Layer("0".repeat(64), 1L, GZIP, "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(tar)));
    }

    private static byte[] tarOfOneFile() throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(bytes)) {
            byte[] content = "hello".getBytes();
            var entry = new TarArchiveEntry("hello.txt");
            entry.setSize(content.length);
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    private static final class CountingStream extends ByteArrayInputStream {
        long read;

        CountingStream(byte[] bytes) {
            super(bytes);
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            int n = super.read(b, off, len);
            read += Math.max(n, 0);
            return n;
        }
    }
}
