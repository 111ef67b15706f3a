package dev.corral.engine.devices.virtio;

import java.security.SecureRandom;
import java.util.Objects;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.DmaException;

/**
 * A virtio entropy device (virtio 1.2, 5.4): one request queue; every writable buffer the driver offers is filled
 * with bytes from the host's {@link SecureRandom}, up to {@link #MAX_REQUEST} bytes a request (the specification
 * lets the device fill less than offered; Linux's hwrng asks for small amounts anyway). Device-readable buffers in
 * a request carry nothing for this device and are ignored. No configuration, no feature bits.
 */
public final class VirtioRng implements VirtioDevice {

    public static final int TYPE = 4;
    public static final int QUEUE_SIZE = 64;
    public static final int MAX_REQUEST = 64 * 1024;

    private final SecureRandom random;

    /** An entropy source over {@code random}, which is this device's own (one per VM: nothing is shared). */
    public VirtioRng(SecureRandom random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public int type() {
        return TYPE;
    }

    @Override
    public String name() {
        return "virtio-rng";
    }

    @Override
    public int pciClass() {
        return 0xff0000; // no class fits: "device does not fit any defined class", as QEMU's virtio-rng says too
    }

    @Override
    public long features() {
        return 0;
    }

    @Override
    public int queues() {
        return 1;
    }

    @Override
    public int maxQueueSize() {
        return QUEUE_SIZE;
    }

    @Override
    public long maxChainBytes() {
        return 16L << 20;
    }

    @Override
    public int configSize() {
        return 0;
    }

    @Override
    public int configRead(int offset, int size) {
        return 0;
    }

    @Override
    public int handle(int queue, DescriptorChain chain, Dma dma) throws DmaException {
        var bytes = new byte[(int) Math.min(MAX_REQUEST, chain.writableBytes())];
        random.nextBytes(bytes);
        return chain.write(dma, 0, bytes);
    }
}
