package dev.corral.controlplane.store;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

/**
 * A {@code ?watch=true} answer: server-sent events, one per change after a resourceVersion, until the client
 * goes away or the watch times out (clients resume with the last {@code id}, as {@code resourceVersion} or the
 * {@code Last-Event-ID} header).
 */
public final class WatchStream implements StreamingOutput {

    public static final String MEDIA_TYPE = "text/event-stream";
    private static final long POLL_MILLIS = 250;
    private static final long KEEPALIVE_MILLIS = 15_000;

    private final WatchLog log;
    private final WatchNotifier notifier;
    private final ObjectMapper json;
    private final WatchLog.Filter filter;
    private final Predicate<JsonNode> matches;
    private final long fromResourceVersion;
    private final Duration timeout;
    private final BooleanSupplier clientGone;
    /** Watches being served now (for tests and, later, a metric). */
    private static final AtomicInteger ACTIVE = new AtomicInteger();

    /**
     * @param clientGone whether the client's connection is closed: the HTTP layer does not fail a small write to a
     *                   closed connection, so without it an abandoned watch would poll until its timeout
     */
    public WatchStream(WatchLog log, WatchNotifier notifier, ObjectMapper json, WatchLog.Filter filter,
            Predicate<JsonNode> matches, long fromResourceVersion, Duration timeout, BooleanSupplier clientGone) {
        this.clientGone = clientGone;
        this.log = log;
        this.notifier = notifier;
        this.json = json;
        this.filter = filter;
        this.matches = matches;
        this.fromResourceVersion = fromResourceVersion;
        this.timeout = timeout;
    }

    public Response response() {
        return Response.ok(this, MEDIA_TYPE)
                .header("Cache-Control", "no-cache")
                .header("X-Accel-Buffering", "no")
                .build();
    }

    @Override
    public void write(OutputStream out) throws IOException {
        long last = fromResourceVersion;
        long deadline = System.nanoTime() + timeout.toNanos();
        long lastWrite = System.nanoTime();
        // Tells the client the stream is open even when nothing changes for a while.
        send(out, ": watching from resourceVersion " + last + "\n\n");
        ACTIVE.incrementAndGet();
        try {
            while (System.nanoTime() < deadline && !clientGone.getAsBoolean()) {
                long seen = notifier.changes();
                var changes = log.after(last, filter, 500);
                for (var change : changes) {
                    last = change.resourceVersion();
                    if (matches.test(change.object())) {
                        var event = json.createObjectNode();
                        event.put("type", change.type());
                        event.set("object", change.object());
                        send(out, "id: " + last + "\nevent: " + change.type() + "\ndata: " + json.writeValueAsString(event) + "\n\n");
                        lastWrite = System.nanoTime();
                    }
                }
                if (changes.size() == 500) {
                    continue;
                }
                if (System.nanoTime() - lastWrite > KEEPALIVE_MILLIS * 1_000_000) {
                    send(out, ": keepalive\n\n");
                    lastWrite = System.nanoTime();
                }
                notifier.awaitChangeAfter(seen, POLL_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ACTIVE.decrementAndGet();
        }
    }

    /** How many watches are being served. */
    public static int active() {
        return ACTIVE.get();
    }

    private static void send(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
