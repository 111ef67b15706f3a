package dev.corral.engine.devices.legacy;

/**
 * The host's end of a serial line: the bytes a person typed or pasted (or a test sent) that the guest has not taken
 * yet, oldest first, at most {@code capacity} of them. The UART's receiver takes from here whenever its FIFO has room,
 * which is what RTS/CTS flow control does on a real line: the sender waits instead of overrunning the receiver. Only
 * a full queue loses bytes, the newest ones, and counts them.
 *
 * <p>Not thread-safe on its own: its {@link Uart16550} calls it with the UART's lock held, so that a byte is never
 * both queued and in the FIFO and the receiver's interrupt changes in the same step as its contents.
 */
final class SerialInput {

    private final byte[] queue;
    private int head;
    private int count;
    private long dropped;

    SerialInput(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a serial input queue holds at least one byte, not " + capacity);
        }
        this.queue = new byte[capacity];
    }

    /** Queues as many of {@code bytes[offset, offset + length)} as fit, in order; returns how many that was. */
    int offer(byte[] bytes, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        int accepted = Math.min(length, queue.length - count);
        for (int i = 0; i < accepted; i++) {
            queue[(head + count + i) % queue.length] = bytes[offset + i];
        }
        count += accepted;
        dropped += length - accepted;
        return accepted;
    }

    /** The oldest byte queued, removed, as 0-255; -1 when nothing waits. */
    int poll() {
        if (count == 0) {
            return -1;
        }
        int b = queue[head] & 0xff;
        head = (head + 1) % queue.length;
        count--;
        return b;
    }

    int queued() {
        return count;
    }

    int capacity() {
        return queue.length;
    }

    /** Bytes refused because the queue was full, since the VM was built. */
    long dropped() {
        return dropped;
    }
}
