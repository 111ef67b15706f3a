package dev.corral.cli.client;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An attached serial console ({@code GET /v1/vms/{name}/console/attach}, a WebSocket): bytes typed go to the guest
 * with {@link #send}, the guest's output goes to the {@link Output} given at attach time, as it comes.
 */
public final class ConsoleConnection {

    /** Where the guest's output goes; called on the connection's thread, one piece at a time, in order. */
    @FunctionalInterface
    public interface Output {
        void write(byte[] bytes);
    }

    /**
     * How the connection ended.
     *
     * @param code   the WebSocket close code: 1000 when the server ended it normally (the VM stopped), 1006 when the
     *               connection broke without a close frame
     * @param reason the server's reason, possibly empty
     */
    public record Closed(int code, String reason) {
        public boolean normal() {
            return code == WebSocket.NORMAL_CLOSURE;
        }
    }

    private final WebSocket socket;
    private final CompletableFuture<Closed> closed;

    ConsoleConnection(WebSocket socket, CompletableFuture<Closed> closed) {
        this.socket = socket;
        this.closed = closed;
    }

    /** Types {@code bytes} into the guest; returns once they are sent. Not to be called from two threads at once. */
    public void send(byte[] bytes, int offset, int length) {
        if (length == 0 || closed.isDone()) {
            return;
        }
        try {
            socket.sendBinary(ByteBuffer.wrap(bytes, offset, length), true).get();
        } catch (ExecutionException e) {
            if (!closed.isDone()) {
                throw new CorralClientException("sending to the console failed: " + e.getCause().getMessage(), e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Detaches: closes the connection normally (the VM runs on) and waits a little for the server to agree. */
    public Closed detach() {
        if (!closed.isDone()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "detached");
        }
        try {
            return closed.get(5, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            socket.abort();
            return new Closed(WebSocket.NORMAL_CLOSURE, "detached");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            socket.abort();
            return new Closed(WebSocket.NORMAL_CLOSURE, "detached");
        }
    }

    /** Completes when the server closes the connection or it breaks. */
    public CompletableFuture<Closed> closed() {
        return closed;
    }

    /** Passes the guest's output on and notes how the connection ends. */
    static final class Listener implements WebSocket.Listener {
        private final Output output;
        final CompletableFuture<Closed> closed = new CompletableFuture<>();

        Listener(Output output) {
            this.output = output;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            var bytes = new byte[data.remaining()];
            data.get(bytes);
            output.write(bytes);
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            output.write(data.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(new Closed(statusCode, reason == null ? "" : reason));
            return null; // the client's close frame answers at once
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(new Closed(1006, error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage()));
        }
    }
}
