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
