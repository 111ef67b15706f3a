package dev.corral.agent.console;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import dev.corral.agent.reconcile.Consoles;
import dev.corral.engine.devices.legacy.ConsoleBuffer;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import org.jboss.logging.Logger;

/**
 * One client attached to a running workload's serial console over a WebSocket. What the guest writes goes to the
 * client as binary frames; what the client sends (binary or text frames) is typed into the guest. It ends when the
 * client goes away (the workload runs on) or when the workload stops or is deleted (the client is told why in the
 * close frame).
 *
 * <p>The guest's output reaches this session on the vCPU thread, under the console's lock (a
 * {@link ConsoleBuffer.Follower}), so that side only copies into a bounded buffer and asks the event loop to send
 * it: the guest never waits for a client. A client too slow for the guest finds the buffer full and loses output
 * past it, as a follower of {@code GET .../console?follow=true} does.
 */
final class ConsoleSession {

    private static final Logger LOG = Logger.getLogger(ConsoleSession.class);

    /** Output held for a client whose connection is still sending the previous frames; more is dropped. */
    static final int MAX_PENDING_BYTES = 64 * 1024;

    static final short NORMAL = 1000;
    static final short GOING_AWAY = 1001;
    static final short INTERNAL_ERROR = 1011;

    private final ServerWebSocket socket;
    private final Context context;
    private final Consoles consoles;
    private final String uid;
    private final Runnable ended = () -> end(NORMAL, "the workload stopped");

    private final Object lock = new Object();
    // Guarded by lock: output waiting for the event loop to send it.
    private final byte[] pending = new byte[MAX_PENDING_BYTES];
    private int pendingLength;
    private boolean flushScheduled;
    private long dropped;

    // Touched on the event loop only.
    private AutoCloseable following;
    private boolean closed;

    private ConsoleSession(ServerWebSocket socket, Context context, Consoles consoles, String uid) {
        this.socket = socket;
        this.context = context;
        this.consoles = consoles;
        this.uid = uid;
    }

    /**
     * Attaches an accepted WebSocket to the workload's console, starting with what the guest wrote from
     * {@code from} on. Called on the socket's event loop ({@code context}).
     */
    static void attach(ServerWebSocket socket, Context context, Consoles consoles, String uid, ConsoleBuffer console, long from) {
        var session = new ConsoleSession(socket, context, consoles, uid);
        socket.binaryMessageHandler(keys -> session.type(keys.getBytes()));
        socket.textMessageHandler(text -> session.type(text.getBytes(StandardCharsets.UTF_8)));
        socket.exceptionHandler(e -> {
            LOG.debugf(e, "console of %s: the connection failed", uid);
            session.end(INTERNAL_ERROR, "the connection failed");
        });
        socket.closeHandler(v -> session.detach());
        if (!consoles.onInputGone(uid, session.ended)) {
            session.end(NORMAL, "the workload stopped");
            return;
        }
        session.following = console.follow(from, chunk -> session.output(chunk.bytes()));
        LOG.debugf("console of %s: a client attached", uid);
    }

    /** A client's keystrokes, typed into the guest as they came; on the event loop. */
    private void type(byte[] keys) {
        var input = consoles.input(uid);
        if (input.isEmpty()) {
            return; // it just stopped: the close frame is on its way
        }
        int taken = input.get().send(keys);
        if (taken < keys.length) {
            LOG.debugf("console of %s: %d bytes of input dropped: the guest is not reading", uid, keys.length - taken);
        }
    }

    /** Guest output; on the vCPU thread with the console locked, so it only copies and never blocks. */
    private void output(byte[] bytes) {
        synchronized (lock) {
            int n = Math.min(bytes.length, pending.length - pendingLength);
            System.arraycopy(bytes, 0, pending, pendingLength, n);
            pendingLength += n;
            dropped += bytes.length - n;
            if (flushScheduled || pendingLength == 0) {
                return;
            }
            flushScheduled = true;
        }
        context.runOnContext(v -> flush());
    }

    /** Sends what is pending as one frame, or waits for the connection to drain; on the event loop. */
    private void flush() {
        if (closed) {
            return;
        }
        if (socket.writeQueueFull()) {
            socket.drainHandler(v -> flush()); // still scheduled: output keeps collecting (and dropping) meanwhile
            return;
        }
        byte[] frame;
        long lost;
        synchronized (lock) {
            frame = Arrays.copyOf(pending, pendingLength);
            pendingLength = 0;
            flushScheduled = false;
            lost = dropped;
            dropped = 0;
        }
        if (lost > 0) {
            LOG.debugf("console of %s: %d bytes of output dropped for a slow client", uid, lost);
        }
        if (frame.length > 0) {
            socket.writeBinaryMessage(Buffer.buffer(frame));
        }
    }

    /** Closes the connection with {@code code} and {@code reason}, after the output still pending; any thread. */
    private void end(short code, String reason) {
        context.runOnContext(v -> {
            flush();
            if (!socket.isClosed()) {
                socket.close(code, reason);
            }
            detach();
        });
    }

    /** The connection is over: stop following the console. On the event loop; idempotent. */
    private void detach() {
        if (closed) {
            return;
        }
        closed = true;
        consoles.cancelOnInputGone(uid, ended);
        if (following != null) {
            try {
                following.close();
            } catch (Exception e) {
                // Closing a follower only unregisters it.
            }
        }
        LOG.debugf("console of %s: a client detached", uid);
    }
}
