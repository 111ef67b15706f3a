package dev.corral.engine.devices.virtio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.corral.engine.net.NetBackend;

/**
 * A network backend in memory, for tests: what the device sends lands in {@link #sent}; what a test puts into
 * {@link #toGuest} the device receives. {@link #refuse} makes sends fail as a tap that is down does.
 */
final class QueueBackend implements NetBackend {

    final LinkedBlockingQueue<byte[]> sent = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<byte[]> toGuest = new LinkedBlockingQueue<>();
    volatile boolean refuse;
    private static final byte[] CLOSED = new byte[0]; // wakes a receiver waiting on the queue
    private volatile boolean closed;

    @Override
    public String name() {
        return "queue";
    }

    @Override
    public void send(ByteBuffer frame) throws IOException {
        if (refuse || closed) {
            throw new IOException("the backend refuses frames");
        }
        var copy = new byte[frame.remaining()];
        frame.get(copy);
        sent.add(copy);
    }

    @Override
    public int receive(ByteBuffer buffer) throws IOException {
        int n;
        while ((n = receive(buffer, 100)) == 0) {
            // wait on
        }
        return n;
    }

    @Override
    public int receive(ByteBuffer buffer, long timeoutMillis) {
        if (closed) {
            return -1;
        }
        byte[] frame;
        try {
            frame = toGuest.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
        if (frame == CLOSED) {
            toGuest.add(CLOSED);
            return -1;
        }
        if (frame == null) {
            return closed ? -1 : 0;
        }
        buffer.put(frame);
        return frame.length;
    }

    @Override
    public void close() {
        closed = true;
        toGuest.add(CLOSED);
    }
}
