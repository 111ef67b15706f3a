package dev.corral.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A blob is in the cache only under its own digest, fetched once; a download that is not what it says is not kept;
 * a fetch holds up nothing but fetches of the same digest.
 */
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
    void aFetchHoldsUpOnlyOtherFetchesOfItsOwnDigest() throws Exception {
        var blobs = new TestBlobs();
        String slow = blobs.put("a large disk".getBytes());
        String other = blobs.put("another image's kernel".getBytes());
        String here = blobs.put("a kernel already here".getBytes());
        var slowStarted = new CountDownLatch(1);
        var slowMayEnd = new CountDownLatch(1);
        var downloads = new ConcurrentHashMap<String, AtomicInteger>();
        var cache = new ImageCache(dir, (digest, target) -> {
            downloads.computeIfAbsent(digest, d -> new AtomicInteger()).incrementAndGet();
            if (digest.equals(slow)) {
                slowStarted.countDown();
                slowMayEnd.await();
            }
            blobs.download(digest, target);
        });
        cache.get(here);
        try (var pool = Executors.newFixedThreadPool(4)) {
            try {
                Future<Path> first = pool.submit(() -> cache.get(slow));
                assertThat(slowStarted.await(30, TimeUnit.SECONDS)).isTrue();
                // The slow fetch is under way: a cached blob and another digest's fetch go ahead of it.
                assertThat(pool.submit(() -> cache.get(here)).get(30, TimeUnit.SECONDS)).hasFileName(here);
                assertThat(pool.submit(() -> cache.get(other)).get(30, TimeUnit.SECONDS)).hasFileName(other);
                Future<Path> second = pool.submit(() -> cache.get(slow));
                slowMayEnd.countDown();
                assertThat(first.get(30, TimeUnit.SECONDS)).hasFileName(slow);
                assertThat(second.get(30, TimeUnit.SECONDS)).hasFileName(slow);
            } finally {
                slowMayEnd.countDown(); // a failed assertion must not leave the pool's close waiting on the fetch
            }
        }
        assertThat(downloads.get(slow)).as("the second fetch of a digest finds the first's blob").hasValue(1);
        assertThat(downloads.get(here)).hasValue(1);
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
