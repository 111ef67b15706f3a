package dev.corral.controlplane;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.GZIPOutputStream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Container layers for the image tests: tars of the entries given, gzip'd, and their digests. */
final class TestTars {

    /** One entry: {@code type} a tar type flag, {@code link} its target for links (else ignored). */
    record Entry(String name, byte type, String link) {
        static Entry file(String name) {
            return new Entry(name, TarArchiveEntry.LF_NORMAL, null);
        }
    }

    private TestTars() {
    }

    static byte[] tar(Entry... entries) {
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (var e : entries) {
                var entry = new TarArchiveEntry(e.name(), e.type(), e.name().startsWith("/") || e.name().contains(".."));
                if (e.link() != null) {
                    entry.setLinkName(e.link());
                }
                byte[] content = e.type() == TarArchiveEntry.LF_NORMAL ? ("content of " + e.name()).getBytes() : new byte[0];
                if (e.type() == TarArchiveEntry.LF_CHR) {
                    entry.setDevMajor(1);
                    entry.setDevMinor(3);
                }
                entry.setSize(content.length);
                tar.putArchiveEntry(entry);
                tar.write(content);
                tar.closeArchiveEntry();
            }
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

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
