package dev.corral.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A blob is in the cache only under its own digest, fetched once; a download that is not what it says is not kept. */
class ImageCacheTest {

    @TempDir
    Path dir;

    @Test
    void aBlobIsFetchedOnceAndKeptReadOnlyUnderItsDigest() throws Exception {
        var blobs = new TestBlobs();
        byte[] content = "a kernel".getBytes();
        String sha = blobs.put(content);
        var downloads = new AtomicInteger();
        var cache = new ImageCache(dir, (digest, target) -> {
            downloads.incrementAndGet();
            blobs.download(digest, target);
        });
        Path blob = cache.get(sha);
        assertThat(blob).isEqualTo(dir.resolve(sha)).hasBinaryContent(content);
        assertThat(Files.getPosixFilePermissions(blob)).noneMatch(p -> p.name().endsWith("WRITE"));
        assertThat(cache.get(sha)).isEqualTo(blob);
        assertThat(downloads).hasValue(1);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly(sha);
        }
    }

    @Test
    void aDownloadThatIsNotWhatItsDigestSaysIsNotKept() throws IOException {
        var blobs = new TestBlobs();
        String sha = blobs.put("the real kernel".getBytes());
        var cache = new ImageCache(dir, (digest, target) -> Files.write(target, "a tampered kernel".getBytes()));
        assertThatThrownBy(() -> cache.get(sha)).isInstanceOf(ImageCache.ImageFetchException.class)
                .hasMessageContaining("blob " + sha + " arrived with sha256 ").hasMessageContaining(": not used");
        try (var files = Files.list(dir)) {
            assertThat(files).as("nothing kept, not even the partial download").isEmpty();
        }
        assertThatThrownBy(() -> cache.get("not-a-digest")).isInstanceOf(ImageCache.ImageFetchException.class)
                .hasMessage("not a sha256 digest: not-a-digest");
    }
}
