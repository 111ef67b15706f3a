package dev.corral.agent.container;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;

import dev.corral.agent.runtime.ImageCache;
import dev.corral.api.Image;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Layers and images for the container tests: tars written here, a blob store the agent's image cache fetches from. */
final class TestLayers implements ImageCache.Source {

    /** Debian's busybox-static (deploy/local/test.sh installs it): a static binary, so one file is a whole userland. */
    static final Path BUSYBOX = Path.of("/bin/busybox");

    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();

    @Override
    public void download(String sha256, Path target) throws IOException {
        byte[] bytes = blobs.get(sha256);
        if (bytes == null) {
            throw new IOException("no blob " + sha256);
        }
        Files.write(target, bytes);
    }

    String put(byte[] bytes) {
        String sha = sha256(bytes);
        blobs.put(sha, bytes);
        return sha;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A tar written by {@code entries}. */
    static byte[] tar(Consumer<TarArchiveOutputStream> entries) {
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            entries.accept(tar);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static byte[] gzip(byte[] bytes) {
        var out = new ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static void file(TarArchiveOutputStream tar, String name, int mode, byte[] content) {
        try {
            var e = new TarArchiveEntry(name);
            e.setMode(mode);
            e.setSize(content.length);
            tar.putArchiveEntry(e);
            tar.write(content);
            tar.closeArchiveEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void dir(TarArchiveOutputStream tar, String name) {
        entry(tar, new TarArchiveEntry(name.endsWith("/") ? name : name + "/"));
    }

    static void symlink(TarArchiveOutputStream tar, String name, String target) {
        var e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
        e.setLinkName(target);
        entry(tar, e);
    }

    static void entry(TarArchiveOutputStream tar, TarArchiveEntry e) {
        try {
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }

    /** busybox as /bin/busybox with /bin/sh beside it, and the usual top-level directories. */
    static byte[] busyboxLayer() {
        byte[] busybox;
        try {
            busybox = Files.readAllBytes(BUSYBOX);
        } catch (IOException e) {
            throw new UncheckedIOException("the container tests need Debian's busybox-static at " + BUSYBOX
                    + " (deploy/local/test.sh installs it): " + e.getMessage(), e);
        }
        return tar(t -> {
            for (String d : List.of("bin", "etc", "root", "tmp", "proc", "sys", "dev")) {
                dir(t, d);
            }
            file(t, "bin/busybox", 0755, busybox);
            for (String applet : List.of("sh", "sleep", "cat", "echo", "ps", "ls", "touch", "head", "sort", "hostname", "true", "ip", "httpd",
                    "wget")) {
                symlink(t, "bin/" + applet, "busybox");
            }
            file(t, "etc/motd", 0644, "from the image\n".getBytes());
        });
    }

    /** An image of the given layers (uncompressed tars) with that Entrypoint and Cmd. */
    Image image(List<byte[]> layerTars, List<String> entrypoint, List<String> cmd) {
        var layers = layerTars.stream().map(t -> new Image.Layer(put(t), (long) t.length, "application/vnd.oci.image.layer.v1.tar",
                "sha256:" + sha256(t))).toList();
        var container = new Image.ContainerImage(new Image.BlobRef(put("{}".getBytes()), 2L), layers, entrypoint, cmd,
                List.of("PATH=/bin", "FROM_IMAGE=yes"), null, null);
        return new Image("corral/v1", "Image", null, new Image.Spec(null, null, null, null, "x86_64", container));
    }
}
