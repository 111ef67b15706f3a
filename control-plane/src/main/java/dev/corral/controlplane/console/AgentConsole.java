package dev.corral.controlplane.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.BooleanSupplier;

/**
 * A console answer a node agent has started to send. Whoever opened it copies it to its client once; a followed
 * console ends when the agent ends it or when the client goes away.
 */
public final class AgentConsole {

    private static final int CHUNK = 8192;
    private static final long CLIENT_CHECK_MILLIS = 250;

    private final InputStream body;
    private volatile boolean clientGone;

    AgentConsole(InputStream body) {
        this.body = body;
    }

    /**
     * Copies the agent's bytes to {@code out} as they arrive, flushing each chunk so a followed console reaches the
     * client without waiting for a buffer to fill. Nothing is held beyond one chunk. Returns when the agent ends
     * the console or the client went away; the agent's stream is closed either way.
     *
     * @param clientClosed whether the client's connection is closed. Checked a few times a second: the HTTP layer
     *                     does not fail a small write to a closed connection, and a silent guest gives nothing to
     *                     write, so a copy that only wrote would hold the agent's stream open long after its client
     *                     left.
     * @throws IOException the agent's stream broke off, or writing to the client failed
     */
    public void copyTo(OutputStream out, BooleanSupplier clientClosed) throws IOException {
        Thread watchdog = Thread.ofVirtual().name("console-client-watch").start(() -> closeWhenClientGone(clientClosed));
        try (body) {
            byte[] buffer = new byte[CHUNK];
            for (int n; (n = body.read(buffer)) >= 0; ) {
                if (n > 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            }
        } catch (IOException e) {
            if (!clientGone) {
                throw e;
            }
            // The watchdog closed the agent's stream under the read: the normal end of a followed console.
        } finally {
            watchdog.interrupt();
        }
    }

    private void closeWhenClientGone(BooleanSupplier clientClosed) {
        try {
            while (!clientClosed.getAsBoolean()) {
                Thread.sleep(CLIENT_CHECK_MILLIS);
            }
        } catch (InterruptedException e) {
            return; // the copy ended first
        }
        clientGone = true;
        try {
            // Unblocks the copy's read and closes the connection to the agent, which then stops streaming.
            body.close();
        } catch (IOException e) {
            // Closing only cancels the transfer; there is nothing left to release when it fails.
        }
    }
}
