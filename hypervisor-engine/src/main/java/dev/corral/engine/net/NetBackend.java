package dev.corral.engine.net;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a VM's network interface sends Ethernet frames and receives them from: a TAP device on the host
 * ({@link Tap}), or a test's own queue. Frames cross without the virtio-net header.
 */
public interface NetBackend extends AutoCloseable {

    /** The most bytes a frame may have: an Ethernet frame of the largest MTU a Linux link allows, with its header. */
    int MAX_FRAME = 65550;

    /** How the host names it ({@code corral-1a2b3c4d} for a tap). */
    String name();

    /** Sends one frame: the buffer's remaining bytes. Never blocks for long (a full host queue drops the frame). */
    void send(ByteBuffer frame) throws IOException;

    /**
     * Waits until a frame arrives and copies it into {@code buffer} (from its position; it has room for at least
     * {@link #MAX_FRAME} bytes); returns its length, or -1 once the backend is closed.
     */
    int receive(ByteBuffer buffer) throws IOException;

    /**
     * As {@link #receive(ByteBuffer)}, but waits at most {@code timeoutMillis}: returns 0 if no frame came by then
     * (a frame is never empty), so a device's receiver can look at its own stop flag between frames.
     */
    int receive(ByteBuffer buffer, long timeoutMillis) throws IOException;

    /** Frees it; a thread waiting in {@link #receive} returns -1. */
    @Override
    void close();
}
