package dev.corral.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Free TCP ports on the loopback interface. */
public final class FreePorts {
    private FreePorts() {
    }

    /**
     * A port that was free on 127.0.0.1 a moment ago. Another process may take it before the caller binds it;
     * callers that cannot tolerate that retry their start.
     */
    public static int pick() {
        try (var socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }
}
