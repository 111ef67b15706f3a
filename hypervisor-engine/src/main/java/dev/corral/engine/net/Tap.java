package dev.corral.engine.net;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import dev.corral.engine.sys.Errno;
import dev.corral.engine.sys.Libc;
import dev.corral.engine.sys.SysException;

/**
 * A TAP device on the host: the frames a VM's NIC sends come out of it, and what the host (or a bridge it is a port
 * of) sends into it reaches the guest. Opened through {@code /dev/net/tun} with {@code IFF_TAP | IFF_NO_PI}: plain
 * Ethernet frames, no packet information prefix and no virtio-net header (the device offers no offloads, so the
 * kernel hands it whole frames). Not persistent: the kernel removes the interface when its file descriptor is closed,
 * by {@link #close} or by this process ending (the descriptor is close-on-exec, so no child process keeps it).
 *
 * <p>One thread may wait in {@link #receive} while others {@link #send}; {@link #close} wakes the receiver (an
 * eventfd it polls with the tap) and frees the descriptors only once no call is using them, so a descriptor number
 * is never reused under a call in progress.
 */
public final class Tap implements NetBackend {

    /** {@code <net/if.h>}: IFNAMSIZ, the interface name with its terminating NUL. */
    static final int IFNAMSIZ = 16;
    /**
     * {@code struct ifreq} ({@code <net/if.h>}): {@code char ifr_name[IFNAMSIZ]} then a union whose
     * {@code short ifr_flags} is at 16; 40 bytes on x86-64.
     */
    static final int IFREQ_SIZE = 40, IFR_FLAGS = 16;
    /** {@code <linux/if_tun.h>}: {@code #define TUNSETIFF _IOW('T', 202, int)}. */
    static final long TUNSETIFF = 0x400454caL;
    /** {@code <linux/if_tun.h>}: IFF_TAP, IFF_NO_PI. */
    static final short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000;

    private static final String TUN = "/dev/net/tun";

    private final String name;
    private final int fd;
    private final int wake;
    private final Arena arena;
    private final MemorySegment rx;
    private final MemorySegment tx;
    private final MemorySegment pollFds;
    private final MemorySegment one;
    private final Object receiving = new Object();
    private final Object sending = new Object();
    private volatile boolean closed;

    private Tap(String name, int fd, int wake) {
        this.name = name;
        this.fd = fd;
        this.wake = wake;
        this.arena = Arena.ofShared();
        this.rx = arena.allocate(MAX_FRAME);
        this.tx = arena.allocate(MAX_FRAME);
        this.pollFds = arena.allocate(Libc.POLLFD, 2);
        this.one = arena.allocate(ValueLayout.JAVA_LONG);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        pollFds.set(ValueLayout.JAVA_INT, 0, fd);
        pollFds.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
        pollFds.set(ValueLayout.JAVA_INT, 8, wake);
        pollFds.set(ValueLayout.JAVA_SHORT, 12, Libc.POLLIN);
    }

    /**
     * Opens the TAP device {@code name} (at most 15 bytes), creating it if it does not exist. It is not persistent: it
     * disappears when closed, or when this process ends.
     *
     * @throws IllegalArgumentException if {@code name} is not a name Linux accepts for an interface
     * @throws IOException              if the kernel refuses (no /dev/net/tun, no CAP_NET_ADMIN, the name taken by
     *                                  an interface that is not a tap)
     */
    public static Tap open(String name) throws IOException {
        byte[] bytes = checkName(name);
        int fd;
        try {
            fd = Libc.open(TUN, Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        } catch (SysException e) {
            throw new IOException("cannot open tap " + name + ": " + e.getMessage(), e);
        }
        int wake = -1;
        try (var scratch = Arena.ofConfined()) {
            var ifreq = scratch.allocate(IFREQ_SIZE);
            MemorySegment.copy(bytes, 0, ifreq, ValueLayout.JAVA_BYTE, 0, bytes.length);
            ifreq.set(ValueLayout.JAVA_SHORT, IFR_FLAGS, (short) (IFF_TAP | IFF_NO_PI));
            Libc.ioctl(fd, TUNSETIFF, ifreq, "TUNSETIFF(" + name + ")");
            wake = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            return new Tap(name, fd, wake);
        } catch (SysException e) {
            Libc.close(fd);
            if (wake >= 0) {
                Libc.close(wake);
            }
            throw new IOException("cannot open tap " + name + ": " + e.getMessage(), e);
        }
    }

    /** The name's bytes, if Linux takes it for an interface (dev_valid_name): 1-15 bytes, no '/', ':' or space. */
    static byte[] checkName(String name) {
        if (name == null) {
            throw new IllegalArgumentException("a tap needs a name");
        }
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length >= IFNAMSIZ || name.equals(".") || name.equals("..")
                || name.chars().anyMatch(c -> c == '/' || c == ':' || c == 0 || Character.isWhitespace(c))) {
            throw new IllegalArgumentException("an interface name is 1-" + (IFNAMSIZ - 1)
                    + " bytes without '/', ':' or white space, not \"" + name + "\" (" + bytes.length + " bytes)");
        }
        return bytes;
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Writes the frame into the tap. The kernel never makes a tap writer wait; an interface that is down refuses the
     * frame (EIO), which is an {@link IOException} as is any other failure.
     */
    @Override
    public void send(ByteBuffer frame) throws IOException {
        int length = frame.remaining();
        if (length > MAX_FRAME) {
            throw new IOException("a frame of " + length + " bytes is larger than " + MAX_FRAME + " (tap " + name + ")");
        }
        synchronized (sending) {
            if (closed) {
                throw new IOException("tap " + name + " is closed");
            }
            var out = tx.asSlice(0, length);
            out.asByteBuffer().put(frame);
            try {
                Libc.write(fd, out);
            } catch (SysException e) {
                throw new IOException("tap " + name + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public int receive(ByteBuffer buffer) throws IOException {
        return receive(buffer, -1);
    }

    @Override
    public int receive(ByteBuffer buffer, long timeoutMillis) throws IOException {
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000;
        synchronized (receiving) {
            while (!closed) {
                long left = deadline == Long.MAX_VALUE ? -1 : (deadline - System.nanoTime()) / 1_000_000;
                if (deadline != Long.MAX_VALUE && left <= 0) {
                    return 0;
                }
                pollFds.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                pollFds.set(ValueLayout.JAVA_SHORT, 14, (short) 0);
                Libc.poll(pollFds, 2, (int) Math.min(left, Integer.MAX_VALUE));
                if (closed || pollFds.get(ValueLayout.JAVA_SHORT, 14) != 0) {
                    return -1;
                }
                short events = pollFds.get(ValueLayout.JAVA_SHORT, 6);
                if ((events & Libc.POLLIN) != 0) {
                    long n;
                    try {
                        n = Libc.read(fd, rx);
                    } catch (SysException e) {
                        if (e.errno() == Errno.EAGAIN || e.errno() == Errno.EINTR) {
                            continue;
                        }
                        throw new IOException("tap " + name + ": " + e.getMessage(), e);
                    }
                    buffer.put(rx.asSlice(0, n).asByteBuffer());
                    return (int) n;
                }
                if ((events & (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL)) != 0) {
                    throw new IOException("tap " + name + " failed: poll says 0x" + Integer.toHexString(events & 0xffff));
                }
            }
            return -1;
        }
    }

    /** Closes the tap, which removes the interface; a receiver waiting returns -1 first. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Libc.write(wake, one); // wakes a receiver in poll; the eventfd stays open until it has left
        synchronized (receiving) {
            synchronized (sending) {
                Libc.close(fd);
                Libc.close(wake);
                arena.close();
            }
        }
    }

    @Override
    public String toString() {
        return "tap " + name;
    }
}
