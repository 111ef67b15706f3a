package dev.corral.api.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.corral.api.oci.LayerEntries.Type;
import org.junit.jupiter.api.Test;

class LayerEntriesTest {

    private final LayerEntries rules = new LayerEntries();

    @Test
    void usualEntriesPassAndNamesAreMadeRelative() throws Exception {
        assertThat(rules.check("./", Type.DIRECTORY, null, "5")).isEmpty();
        assertThat(rules.check("./bin/", Type.DIRECTORY, null, "5")).isEqualTo("bin");
        assertThat(rules.check("/bin/busybox", Type.FILE, null, "0")).isEqualTo("bin/busybox");
        assertThat(rules.check("bin/sh", Type.SYMLINK, "/bin/busybox", "2")).isEqualTo("bin/sh");
        assertThat(rules.check("bin/ls", Type.HARD_LINK, "./bin/busybox", "1")).isEqualTo("bin/ls");
        assertThat(rules.check("usr/lib/up", Type.SYMLINK, "../../bin", "2")).isEqualTo("usr/lib/up");
        assertThat(rules.check("bin/.wh.old", Type.FILE, null, "0")).isEqualTo("bin/.wh.old");
        // A directory repeated later keeps what is in it: a hard link may still name its files.
        rules.check("bin/", Type.DIRECTORY, null, "5");
        assertThat(rules.check("bin/cat", Type.HARD_LINK, "bin/busybox", "1")).isEqualTo("bin/cat");
    }

    @Test
    void dotDotNamesLeaveTheRoot() {
        assertThatThrownBy(() -> rules.check("etc/../../escape", Type.FILE, null, "0"))
                .hasMessage("entry etc/../../escape leaves the root file system (it has a '..' component)");
    }

    @Test
    void controlCharactersInNamesAreEscapedSoTheErrorStaysOneLine() {
        assertThatThrownBy(() -> rules.check("a\n../x", Type.SYMLINK, "../../\r", "2"))
                .hasMessage("symlink a\\u000a../x -> ../../\\u000d points outside the root file system");
    }

    @Test
    void relativeSymlinksMayNotClimbAboveTheRoot() {
        assertThatThrownBy(() -> rules.check("etc/evil", Type.SYMLINK, "../../etc/shadow", "2"))
                .hasMessage("symlink etc/evil -> ../../etc/shadow points outside the root file system");
    }

    @Test
    void hardLinksMustNameAnEarlierFileInsideTheTree() throws Exception {
        assertThatThrownBy(() -> rules.check("etc/hard", Type.HARD_LINK, "../etc/shadow", "1"))
                .hasMessageContaining("points outside the root file system");
        assertThatThrownBy(() -> rules.check("etc/hard", Type.HARD_LINK, "etc/shadow", "1"))
                .hasMessageContaining("names no file earlier in the layer");
        rules.check("etc/shadow", Type.FILE, null, "0");
        rules.check("etc/.wh.shadow", Type.FILE, null, "0");
        assertThatThrownBy(() -> rules.check("etc/hard", Type.HARD_LINK, "etc/shadow", "1"))
                .hasMessageContaining("names no file earlier in the layer");
    }

    @Test
    void replacingAPathForgetsWhatWasBelowItAndNothingBeside() throws Exception {
        // Beside a/b in sorted order: names that share its first characters ('-' and '.' sort before '/', '0' after).
        for (String name : new String[] {"a/b/c", "a/b/d/e", "a/b-c", "a/b.txt", "a/b0", "a/bc", "a/b/"}) {
            if (!name.endsWith("/")) {
                rules.check(name, Type.FILE, null, "0");
            }
        }
        rules.check("a/b", Type.FILE, null, "0"); // a file over the directory a/b: what was in it is gone
        for (String gone : new String[] {"a/b/c", "a/b/d/e"}) {
            assertThatThrownBy(() -> rules.check("link", Type.HARD_LINK, gone, "1"))
                    .hasMessageContaining("names no file earlier in the layer");
        }
        for (String kept : new String[] {"a/b", "a/b-c", "a/b.txt", "a/b0", "a/bc"}) {
            assertThat(rules.check("link-" + kept.replace('/', '_'), Type.HARD_LINK, kept, "1")).startsWith("link-");
        }
        rules.check("a/.wh.b-c", Type.FILE, null, "0");
        assertThatThrownBy(() -> rules.check("link", Type.HARD_LINK, "a/b-c", "1"))
                .hasMessageContaining("names no file earlier in the layer");
        assertThat(rules.check("link", Type.HARD_LINK, "a/b.txt", "1")).isEqualTo("link");
    }

    @Test
    void aLayerOfManyFilesInOneDirectoryIsCheckedFileByFileNotAgainstEveryEarlierOne() throws Exception {
        // 200,000 files: each replaces nothing, and each used to be compared with every earlier one (40,000 took 5.9 s).
        rules.check("node_modules/", Type.DIRECTORY, null, "5");
        for (int i = 0; i < 200_000; i++) {
            rules.check("node_modules/f" + i, Type.FILE, null, "0");
        }
        assertThat(rules.check("last", Type.HARD_LINK, "node_modules/f199999", "1")).isEqualTo("last");
        rules.check("node_modules", Type.FILE, null, "0"); // a file over the directory: its 200,000 files are gone
        assertThatThrownBy(() -> rules.check("last2", Type.HARD_LINK, "node_modules/f0", "1"))
                .hasMessageContaining("names no file earlier in the layer");
    }

    @Test
    void nothingIsWrittenThroughASymlinkOfTheLayerUntilItIsReplaced() throws Exception {
        rules.check("link", Type.SYMLINK, "/etc", "2");
        assertThatThrownBy(() -> rules.check("link/cron.d/x", Type.FILE, null, "0"))
                .hasMessage("entry link/cron.d/x would be written through the symlink link");
        rules.check("link/", Type.DIRECTORY, null, "5");
        assertThat(rules.check("link/cron.d/x", Type.FILE, null, "0")).isEqualTo("link/cron.d/x");
    }

    @Test
    void devicesFifosAndOtherTypesAreRefused() {
        assertThatThrownBy(() -> rules.check("dev/sda", Type.BLOCK_DEVICE, null, "8:0"))
                .hasMessage("device node dev/sda (8:0): layers may not create devices");
        assertThatThrownBy(() -> rules.check("dev/null", Type.CHARACTER_DEVICE, null, "1:3"))
                .hasMessage("device node dev/null (1:3): layers may not create devices");
        assertThatThrownBy(() -> rules.check("pipe", Type.FIFO, null, "6")).hasMessageContaining("is a FIFO");
        assertThatThrownBy(() -> rules.check("sparse", Type.OTHER, null, "S")).hasMessageContaining("of type 'S'");
    }

    @Test
    void typesComeFromTheUstarFlag() {
        assertThat(Type.of((byte) '0', "a")).isEqualTo(Type.FILE);
        assertThat(Type.of((byte) 0, "old/")).isEqualTo(Type.DIRECTORY);
        assertThat(Type.of((byte) '5', "d")).isEqualTo(Type.DIRECTORY);
        assertThat(Type.of((byte) '1', "h")).isEqualTo(Type.HARD_LINK);
        assertThat(Type.of((byte) '2', "s")).isEqualTo(Type.SYMLINK);
        assertThat(Type.of((byte) '3', "c")).isEqualTo(Type.CHARACTER_DEVICE);
        assertThat(Type.of((byte) '4', "b")).isEqualTo(Type.BLOCK_DEVICE);
        assertThat(Type.of((byte) '6', "p")).isEqualTo(Type.FIFO);
        assertThat(Type.of((byte) 'S', "x")).isEqualTo(Type.OTHER);
    }
}
