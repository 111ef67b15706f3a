package dev.corral.engine.usermode;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Our CPU-bound C program (glibc, gcc -O2 -static) on the software CPU prints what it prints natively. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChecksumIT {

    private static Path checksum;
    private static final Path CWD = Path.of("").toAbsolutePath();

    @BeforeAll
    static void build() throws Exception {
        checksum = GuestBinaries.checksum();
    }

    @Test
    void generatedMebibyteChecksumsMatchNative() throws Exception {
        List<String> argv = List.of("checksum", "1");
        GuestRun soft = GuestRun.soft(CWD, checksum, argv);
        assertThat(soft.stdout()).as(soft.stderr()).isEqualTo(GuestRun.nativeRun(CWD, checksum, argv).stdout())
                .startsWith("bytes 1048576 crc32 ");
        assertThat(soft.exitStatus()).isZero();
    }

    @Test
    void aStaticPieBuildRunsAtItsLoadBaseAndMatchesNative() throws Exception {
        Path pie = GuestBinaries.checksumPie();
        List<String> argv = List.of("checksum-pie", "1");
        GuestRun soft = GuestRun.soft(CWD, pie, argv);
        assertThat(soft.stdout()).as(soft.stderr()).isEqualTo(GuestRun.nativeRun(CWD, pie, argv).stdout())
                .startsWith("bytes 1048576 crc32 ");
    }

    @Test
    void fileChecksumsMatchNative() throws Exception {
        List<String> argv = List.of("checksum", "-f", "src/test/c/checksum.c");
        GuestRun soft = GuestRun.soft(CWD, checksum, argv);
        assertThat(soft.stdout()).as(soft.stderr()).isEqualTo(GuestRun.nativeRun(CWD, checksum, argv).stdout());
    }
}
