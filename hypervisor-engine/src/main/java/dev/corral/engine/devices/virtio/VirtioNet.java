package dev.corral.engine.devices.virtio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.DmaException;
import dev.corral.engine.net.NetBackend;

/**
 * A virtio network device (virtio 1.2, 5.1) over a {@link NetBackend}: one receive queue (0) and one transmit queue
 * (1), 256 entries each; VIRTIO_NET_F_MAC (the configuration holds the MAC) and VIRTIO_NET_F_STATUS (the link is
 * always up). No offloads (no checksum, no GSO, so every frame crosses whole and checksummed), no mergeable receive
 * buffers, no control queue, no multiqueue. Every buffer starts with the 12-byte {@code virtio_net_hdr_v1}; the
 * device writes it as all zeros but num_buffers = 1, and reads nothing from it but gso_type.
 *
 * <p>Transmit: the worker takes each chain, checks it (device-readable only, a whole header; a chain over 64 KiB
 * plus the header is refused by the queue itself), and hands the frame to the backend. A frame the backend refuses,
 * one shorter than an Ethernet header, or one asking for segmentation is dropped and counted. A chain with
 * device-writable buffers or without a whole header is a driver error: the device needs a reset.
 *
 * <p>Receive: a thread of the device's own waits on the backend and queues each frame (at most {@link #PENDING}),
 * then kicks the receive queue; the worker puts the oldest queued frame into the next available buffer, header
 * first, and interrupts the driver. While the driver offers no buffers the frames wait, and while the queue is full
 * the receiving thread stops reading, so the host's queue holds (and in the end drops) the rest: memory stays
 * bounded. A frame larger than the buffer is dropped and counted (the buffer goes back empty); frames arriving
 * while the driver has not started the device are dropped as a NIC with its link down would.
 */
public final class VirtioNet implements VirtioDevice {

    private static final System.Logger LOG = System.getLogger(VirtioNet.class.getName());

    public static final int TYPE = 1;
    public static final int QUEUE_SIZE = 256;
    public static final int RX = 0, TX = 1;
    /** {@code struct virtio_net_hdr_v1}: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers. */
    public static final int HEADER_SIZE = 12;
    static final int GSO_TYPE = 1, NUM_BUFFERS = 10;
    public static final int ETHERNET_HEADER = 14;
    /** The largest frame the device passes: 64 KiB less one, as an IPv4 packet's length field allows. */
    public static final int MAX_FRAME = 65535;
    public static final long F_MAC = 1L << 5, F_STATUS = 1L << 16;
    /** The configuration's status field: VIRTIO_NET_S_LINK_UP. */
    static final int S_LINK_UP = 1;
    /** {@code struct virtio_net_config}: mac[6], status, max_virtqueue_pairs, mtu. */
    static final int CONFIG_SIZE = 12;
    static final int MTU = 1500;
    /** Frames received from the backend and not yet in a guest buffer, at most. */
    static final int PENDING = 64;
    /** How long the receiving thread waits on the backend before it looks at its stop flag again. */
    static final long RECEIVE_POLL_MILLIS = 100;

    private final NetBackend backend;
    private final String name;
    private final byte[] config = new byte[CONFIG_SIZE];
    private final ArrayDeque<byte[]> pending = new ArrayDeque<>(); // guarded by itself
    private final AtomicLong txFrames = new AtomicLong(), txDropped = new AtomicLong();
    private final AtomicLong rxFrames = new AtomicLong(), rxDropped = new AtomicLong();
    private volatile IntConsumer kick = q -> { };
    private volatile boolean active;
    private boolean closed; // guarded by pending
    private Thread receiver; // guarded by pending

    /**
     * A NIC with the unicast {@code mac} over {@code backend}, which the caller owns (and closes after the VM);
     * {@code name} names the receiving thread (say which VM and slot).
     */
    public VirtioNet(NetBackend backend, byte[] mac, String name) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.name = Objects.requireNonNull(name, "name");
        if (mac.length != 6 || (mac[0] & 1) != 0) {
            throw new IllegalArgumentException("a NIC's MAC is 6 bytes of a unicast address");
        }
        System.arraycopy(mac, 0, config, 0, 6);
        config[6] = S_LINK_UP;
        config[8] = 1; // max_virtqueue_pairs, meaningful only with VIRTIO_NET_F_MQ
        config[10] = (byte) MTU;
        config[11] = (byte) (MTU >> 8);
    }

    @Override
    public int type() {
        return TYPE;
    }

    @Override
    public String name() {
        return "virtio-net";
    }

    @Override
    public int pciClass() {
        return 0x020000; // network controller, Ethernet
    }

    @Override
    public long features() {
        return F_MAC | F_STATUS;
    }

    @Override
    public int queues() {
        return 2;
    }

    @Override
    public int maxQueueSize() {
        return QUEUE_SIZE;
    }

    @Override
    public long maxChainBytes() {
        return HEADER_SIZE + MAX_FRAME;
    }

    @Override
    public int configSize() {
        return CONFIG_SIZE;
    }

    @Override
    public int configRead(int offset, int size) {
        return VirtioDevice.littleEndian(config, offset, size);
    }

    @Override
    public void connect(IntConsumer kick) {
        this.kick = Objects.requireNonNull(kick, "kick");
    }

    @Override
    public void activate(long negotiated) {
        synchronized (pending) {
            if (closed) {
                return;
            }
            active = true;
            if (receiver == null) {
                receiver = Thread.ofPlatform().name(name + "-rx").daemon(true).unstarted(this::receive);
                receiver.start();
            }
        }
    }

    @Override
    public void reset() {
        synchronized (pending) {
            active = false;
            rxDropped.addAndGet(pending.size());
            pending.clear();
            pending.notifyAll();
        }
    }

    @Override
    public boolean wantsBuffers(int queue) {
        if (queue != RX) {
            return true;
        }
        synchronized (pending) {
            return !pending.isEmpty();
        }
    }

    @Override
    public int handle(int queue, DescriptorChain chain, Dma dma) throws VirtqueueException, DmaException {
        return queue == TX ? transmit(chain, dma) : deliver(chain, dma);
    }

    /** Stops the receiving thread and waits for it (at most one backend poll). Idempotent. */
    @Override
    public void close() {
        Thread r;
        synchronized (pending) {
            closed = true;
            active = false;
            pending.clear();
            pending.notifyAll();
            r = receiver;
        }
        if (r != null && r != Thread.currentThread()) {
            boolean interrupted = false;
            while (true) {
                try {
                    r.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Frames the driver sent and the backend took. */
    public long txFrames() {
        return txFrames.get();
    }

    /** Frames the driver sent that went nowhere: refused by the backend, shorter than an Ethernet header, or GSO. */
    public long txDropped() {
        return txDropped.get();
    }

    /** Frames put into the driver's buffers. */
    public long rxFrames() {
        return rxFrames.get();
    }

    /** Frames received from the backend that the driver never got: too large for its buffer, or not running. */
    public long rxDropped() {
        return rxDropped.get();
    }

    /** Frames received and waiting for the driver's buffers. */
    public int pendingFrames() {
        synchronized (pending) {
            return pending.size();
        }
    }

    private int transmit(DescriptorChain chain, Dma dma) throws VirtqueueException, DmaException {
        if (!chain.writable().isEmpty()) {
            throw new VirtqueueException("a transmit chain (descriptor " + chain.head() + ") has device-writable buffers");
        }
        long bytes = chain.readableBytes();
        if (bytes < HEADER_SIZE) {
            throw new VirtqueueException("a transmit chain (descriptor " + chain.head() + ") of " + bytes
                    + " bytes has no whole virtio-net header");
        }
        var all = new byte[(int) bytes]; // at most the header and MAX_FRAME: the queue caps chains at maxChainBytes
        chain.read(dma, 0, all);
        int gsoType = all[GSO_TYPE] & 0xff;
        int length = all.length - HEADER_SIZE;
        if (gsoType != 0 || length < ETHERNET_HEADER) {
            txDropped.incrementAndGet(); // no GSO was negotiated, and a runt is no frame
            return 0;
        }
        try {
            backend.send(ByteBuffer.wrap(all, HEADER_SIZE, length));
            txFrames.incrementAndGet();
        } catch (IOException e) {
            txDropped.incrementAndGet(); // the host's side is down or full: a wire that loses a frame
        }
        return 0;
    }

    private int deliver(DescriptorChain chain, Dma dma) throws VirtqueueException, DmaException {
        if (!chain.readable().isEmpty()) {
            throw new VirtqueueException("a receive buffer (descriptor " + chain.head() + ") has device-readable parts");
        }
        byte[] frame;
        synchronized (pending) {
            frame = pending.poll();
            pending.notifyAll(); // room for the receiving thread
        }
        if (frame == null) {
            return 0; // not reached: only this thread takes frames, and it asked wantsBuffers first
        }
        if (chain.writableBytes() < HEADER_SIZE + (long) frame.length) {
            rxDropped.incrementAndGet();
            return 0; // Linux counts a used buffer shorter than a header and an Ethernet header as a length error
        }
        var header = new byte[HEADER_SIZE];
        header[NUM_BUFFERS] = 1;
        chain.write(dma, 0, header);
        writeAt(chain, dma, HEADER_SIZE, frame);
        rxFrames.incrementAndGet();
        return HEADER_SIZE + frame.length;
    }

    private static void writeAt(DescriptorChain chain, Dma dma, long at, byte[] data) throws DmaException {
        int done = 0;
        for (var s : chain.writableRange(at, data.length)) {
            dma.write(s.address(), data, done, s.length());
            done += s.length();
        }
    }

    /**
     * Queues a frame for the driver's next receive buffer and kicks the receive queue; drops it (and counts it) if the
     * driver has not started the device, or the frame is larger than {@link #MAX_FRAME}. The receiving thread's
     * hand-off (tests call it too); the caller waits for room first, so the queue may briefly pass {@link #PENDING}
     * only by a test's doing. Returns whether the frame was queued.
     */
    boolean enqueue(byte[] frame) {
        boolean queued;
        synchronized (pending) {
            queued = active && !closed && frame.length <= MAX_FRAME;
            if (queued) {
                pending.add(frame);
            } else {
                rxDropped.incrementAndGet();
            }
        }
        if (queued) {
            kick.accept(RX);
        }
        return queued;
    }

    /** The receiving thread: backend to the pending queue, until the device closes or the backend does. */
    private void receive() {
        var buffer = ByteBuffer.allocate(NetBackend.MAX_FRAME);
        try {
            while (true) {
                synchronized (pending) {
                    while (!closed && active && pending.size() >= PENDING) {
                        pending.wait(RECEIVE_POLL_MILLIS); // the driver is slow to give buffers: let the host queue
                    }
                    if (closed) {
                        return;
                    }
                }
                buffer.clear();
                int n = backend.receive(buffer, RECEIVE_POLL_MILLIS);
                if (n < 0) {
                    return; // the backend closed
                }
                if (n == 0) {
                    continue;
                }
                var frame = new byte[n];
                buffer.flip().get(frame);
                enqueue(frame);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, name + ": receiving from " + backend.name() + " failed; the NIC receives no more", e);
        } catch (InterruptedException e) {
            // Nobody interrupts this thread; if someone does, it ends as a close would end it.
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, name + ": the receiving thread failed", e);
        }
    }
}
