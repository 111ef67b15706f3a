package dev.corral.engine.net;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A TAP device on the host: the frames a VM's NIC sends come out of it, and what the host (or a bridge it is a port
 * of) sends into it reaches the guest. Not yet implemented: opening one throws.
 */
public final class Tap implements NetBackend {

    private final String name;

    private Tap(String name) {
        this.name = name;
    }

    /**
     * Opens the TAP device {@code name} (at most 15 bytes), creating it if it does not exist. It is not persistent: it
     * disappears when closed, or when this process ends.
     */
    public static Tap open(String name) throws IOException {
        throw new IOException("TAP devices are not supported yet (opening " + name + ")");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void send(ByteBuffer frame) throws IOException {
        throw new IOException("not open");
    }

    @Override
    public int receive(ByteBuffer buffer) {
        return -1;
    }

    @Override
    public void close() {
    }
}
