package dev.corral.cli.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciArchiveTest {

    @TempDir
    Path dir;

    private final OciArchive archive = new OciArchive(new ObjectMapper());
    private final byte[] layer = "pretend this is a gzip'd tar".getBytes(StandardCharsets.UTF_8);
    private final byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);

    static String sha(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Path tar(Map<String, byte[]> files) {
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (var f : files.entrySet()) {
                var e = new TarArchiveEntry(f.getKey());
                e.setSize(f.getValue().length);
                tar.putArchiveEntry(e);
                tar.write(f.getValue());
                tar.closeArchiveEntry();
            }
            Path file = dir.resolve("image.tar");
            tar.finish();
            Files.write(file, bytes.toByteArray());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An OCI layout with one manifest; {@code layerBytes} is what the archive holds under the layer's digest. */
    private Map<String, byte[]> layout(byte[] layerBytes) {
        String manifest = """
                {"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},
                 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}]}"""
                .formatted(sha(config), config.length, sha(layer), layer.length);
        byte[] m = manifest.getBytes(StandardCharsets.UTF_8);
        var files = new LinkedHashMap<String, byte[]>();
        files.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes());
        files.put("index.json", """
                {"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,
                 "annotations":{"org.opencontainers.image.ref.name":"docker.io/library/busybox:1.36"}}]}"""
                .formatted(sha(m), m.length).getBytes());
        files.put("blobs/sha256/" + sha(m), m);
        files.put("blobs/sha256/" + sha(config), config);
        files.put("blobs/sha256/" + sha(layer), layerBytes);
        return files;
    }

    @Test
    void anOciLayoutGivesItsConfigLayersAndName() throws Exception {
        var image = archive.read(tar(layout(layer)), Files.createDirectory(dir.resolve("s")), null);
        assertThat(image.config().sha256()).isEqualTo(sha(config));
        assertThat(image.layers()).singleElement().satisfies(l -> {
            assertThat(l.sha256()).isEqualTo(sha(layer));
            assertThat(l.mediaType()).isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");
        });
        assertThat(image.name()).isEqualTo("docker.io/library/busybox:1.36");
    }

    @Test
    void aBlobThatIsNotItsDigestIsRefused() {
        byte[] tampered = "tampered".getBytes();
        // Same length, other bytes: the size check alone would not see it.
        assertThatThrownBy(() -> archive.read(tar(layout(java.util.Arrays.copyOf(tampered, layer.length))),
                Files.createDirectory(dir.resolve("s")), null))
                .isInstanceOf(OciArchive.BadArchiveException.class)
                .hasMessageContaining("layer 0 should have sha256 " + sha(layer) + " but the archive's blob has");
    }

    @Test
    void anEntryThatLeavesTheArchiveIsRefused() {
        var files = layout(layer);
        files.put("blobs/../../escape", "x".getBytes());
        assertThatThrownBy(() -> archive.read(tar(files), Files.createDirectory(dir.resolve("s")), null))
                .isInstanceOf(OciArchive.BadArchiveException.class).hasMessageContaining("'..'");
        assertThat(dir.resolve("escape")).doesNotExist();
    }

    @Test
    void aDockerSaveArchiveIsRead() throws Exception {
        var files = new LinkedHashMap<String, byte[]>();
        files.put(sha(config) + ".json", config);
        files.put("0123/layer.tar", layer);
        files.put("manifest.json", ("[{\"Config\":\"" + sha(config) + ".json\",\"RepoTags\":[\"app:1.2\"],\"Layers\":[\"0123/layer.tar\"]}]").getBytes());
        var image = archive.read(tar(files), Files.createDirectory(dir.resolve("s")), null);
        assertThat(image.name()).isEqualTo("app:1.2");
        assertThat(image.layers()).singleElement().satisfies(l ->
                assertThat(l.mediaType()).isEqualTo("application/vnd.docker.image.rootfs.diff.tar"));
    }

    @Test
    void somethingElseIsNotAnImage() {
        assertThatThrownBy(() -> archive.read(tar(Map.of("README", "hi".getBytes())), Files.createDirectory(dir.resolve("s")), null))
                .isInstanceOf(OciArchive.BadArchiveException.class)
                .hasMessageContaining("neither an OCI image layout (oci-layout, index.json) nor a docker save archive");
    }
}
