package dev.corral.engine.devices.virtio;

import java.util.Objects;

import dev.corral.engine.devices.pci.Bar;
import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.DmaException;
import dev.corral.engine.devices.pci.MsiSink;
import dev.corral.engine.devices.pci.MsiX;
import dev.corral.engine.devices.pci.PciFunction;
import dev.corral.engine.memory.GuestMemory;

/**
 * A virtio 1.x device on PCI, modern only (virtio 1.2, 4.1): vendor 0x1af4, device 0x1040 plus the virtio type,
 * revision 1, no legacy I/O BAR. BAR 0 (64-bit, 16 KiB) holds the four regions the vendor capabilities point at:
 * common configuration at 0x0000, ISR status at 0x1000, device configuration at 0x2000, notifications at 0x3000
 * (queue n at n x 4). A PCI configuration access capability gives the same registers through configuration space.
 * With an {@link MsiSink}, BAR 2 (32-bit, 4 KiB) holds an MSI-X table (one vector per queue plus one for
 * configuration changes) at 0 and its PBA at 0x800; without one there is no MSI-X and the device uses INTA#.
 *
 * <p>Feature negotiation: VIRTIO_F_VERSION_1 is required, and FEATURES_OK does not stick (the driver reads it back
 * clear) if the driver dropped it or accepted a bit the device did not offer. Queues are programmed before
 * DRIVER_OK; their registers are frozen once the queue is enabled. DRIVER_OK starts the device's worker thread,
 * which serves the queues the driver notifies, off the vCPU thread. A broken virtqueue or request sets
 * DEVICE_NEEDS_RESET (0x40), sends a configuration change interrupt and stops the worker; the VM runs on. A reset
 * (status 0) stops the worker; the status reads its old value until the worker has finished its current request,
 * then 0, so a driver polling for 0 (as Linux does) knows no DMA is in flight.
 *
 * <p>A device with work of its own (a network device's received frames) rings the same doorbell as the driver
 * ({@link VirtioDevice#connect}); it hears of resets ({@link VirtioDevice#reset}) and of the VM's end
 * ({@link VirtioDevice#close}, after the worker has stopped).
 *
 * <p>The device configuration never changes while the device lives, so config_generation stays 0.
 */
public final class VirtioPciDevice extends PciFunction implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(VirtioPciDevice.class.getName());

    public static final int VENDOR_ID = 0x1af4;
    public static final int DEVICE_ID_BASE = 0x1040;
    public static final int SUBSYSTEM_ID = 0x1100;

    // BAR 0 layout.
    static final int COMMON = 0x0000, ISR = 0x1000, DEVICE = 0x2000, NOTIFY = 0x3000, BAR_SIZE = 0x4000;
    static final int NOTIFY_MULTIPLIER = 4, COMMON_LENGTH = 0x38;
    // BAR 2 (MSI-X) layout.
    static final int MSIX_BAR = 2, MSIX_TABLE = 0, MSIX_PBA = 0x800, MSIX_BAR_SIZE = 0x1000;

    // Vendor capability types (virtio 1.2, 4.1.4).
    static final int CAP_VENDOR = 0x09, CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4, CAP_PCI_CFG = 5;

    // Common configuration registers.
    static final int DEVICE_FEATURE_SELECT = 0x00, DEVICE_FEATURE = 0x04, DRIVER_FEATURE_SELECT = 0x08, DRIVER_FEATURE = 0x0c;
    static final int CONFIG_MSIX_VECTOR = 0x10, NUM_QUEUES = 0x12, DEVICE_STATUS = 0x14, CONFIG_GENERATION = 0x15;
    static final int QUEUE_SELECT = 0x16, QUEUE_SIZE = 0x18, QUEUE_MSIX_VECTOR = 0x1a, QUEUE_ENABLE = 0x1c;
    static final int QUEUE_NOTIFY_OFF = 0x1e, QUEUE_DESC = 0x20, QUEUE_DRIVER = 0x28, QUEUE_DEVICE = 0x30;

    // Device status bits.
    public static final int ACKNOWLEDGE = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8, NEEDS_RESET = 0x40, FAILED = 0x80;
    private static final int DRIVER_BITS = ACKNOWLEDGE | DRIVER | DRIVER_OK | FEATURES_OK | FAILED;

    public static final long F_VERSION_1 = 1L << 32;
    static final int NO_VECTOR = 0xffff;
    static final int ISR_QUEUE = 1, ISR_CONFIG = 2;

    /** One queue's registers as the driver programs them. */
    private static final class QueueRegisters {
        int size;
        int vector = NO_VECTOR;
        boolean enabled;
        long desc, driver, device;
    }

    private final VirtioDevice device;
    private final String name;
    private final Dma dma;
    private final MsiX msix;
    private final long offered;
    private final int pciCfgCap;
    private final Object lock = new Object();

    // Guarded by lock.
    private final QueueRegisters[] queues;
    private int deviceFeatureSelect, driverFeatureSelect, queueSelect, status, isr;
    private int configVector = NO_VECTOR;
    private long driverFeatures;
    private QueueWorker worker;
    private boolean resetting, closed;
    private String failure;

    /**
     * A virtio device for one VM. {@code name} names its worker thread and its messages (say which VM and slot);
     * guest memory is reached through {@code memory} as this function's DMA, with writes reported to
     * {@code observer}; {@code msi} null means no MSI-X.
     */
    public VirtioPciDevice(VirtioDevice device, String name, GuestMemory memory, Dma.WriteObserver observer, MsiSink msi) {
        super(new Identity(VENDOR_ID, DEVICE_ID_BASE + device.type(), 1, device.pciClass(), VENDOR_ID, SUBSYSTEM_ID, 1));
        if (device.queues() < 1 || device.queues() > 32 || Integer.bitCount(device.maxQueueSize()) != 1
                || device.maxQueueSize() > Virtqueue.MAX_SIZE || device.configSize() > NOTIFY - DEVICE) {
            throw new IllegalArgumentException(device.name() + ": 1-32 queues of a power-of-two size and at most 4 KiB of configuration");
        }
        this.device = device;
        this.name = Objects.requireNonNull(name, "name");
        this.offered = (device.features() & 0xffffffL) | F_VERSION_1 | Virtqueue.F_INDIRECT_DESC | Virtqueue.F_EVENT_IDX;
        this.queues = new QueueRegisters[device.queues()];
        for (int i = 0; i < queues.length; i++) {
            queues[i] = new QueueRegisters();
            queues[i].size = device.maxQueueSize();
        }
        declareBar(0, Bar.Kind.MEMORY64, BAR_SIZE);
        vendorCapability(CAP_COMMON, COMMON, COMMON_LENGTH, 16);
        int notify = vendorCapability(CAP_NOTIFY, NOTIFY, NOTIFY_MULTIPLIER * device.queues(), 20);
        initConfig(notify + 16, 4, NOTIFY_MULTIPLIER);
        vendorCapability(CAP_ISR, ISR, 1, 16);
        if (device.configSize() > 0) {
            vendorCapability(CAP_DEVICE, DEVICE, device.configSize(), 16);
        }
        pciCfgCap = vendorCapability(CAP_PCI_CFG, 0, 0, 20);
        openConfig(pciCfgCap + 4, 1, 0xff);
        openConfig(pciCfgCap + 8, 4, -1);
        openConfig(pciCfgCap + 12, 4, -1);
        openConfig(pciCfgCap + 16, 4, -1);
        if (msi != null) {
            declareBar(MSIX_BAR, Bar.Kind.MEMORY32, MSIX_BAR_SIZE);
            msix = new MsiX(this, device.queues() + 1, MSIX_BAR, MSIX_TABLE, MSIX_PBA, msi);
        } else {
            msix = null;
        }
        this.dma = new Dma(memory, this, observer);
        device.connect(this::notifyQueue);
    }

    public VirtioDevice device() {
        return device;
    }

    /** The device status register as the driver would read it now. */
    public int status() {
        synchronized (lock) {
            return status;
        }
    }

    /** Why the device last needed a reset, or null if it never did. */
    public String failure() {
        synchronized (lock) {
            return failure;
        }
    }

    /** The MSI-X capability, or null without one. */
    public MsiX msix() {
        return msix;
    }

    @Override
    protected long barRead(int bar, long offset, int size) {
        if (bar == MSIX_BAR && msix != null) {
            if (offset < msix.tableSize()) {
                return msix.tableRead(offset, size);
            }
            return offset >= MSIX_PBA && offset - MSIX_PBA < msix.pbaSize() ? msix.pbaRead(offset - MSIX_PBA, size) : 0;
        }
        if (offset >= COMMON && offset + size <= COMMON + COMMON_LENGTH) {
            long v = 0;
            for (int i = 0; i < size; i++) {
                int at = (int) offset + i;
                int field = fieldStart(at);
                v |= ((commonRead(field) >>> (8 * (at - field))) & 0xffL) << (8 * i);
            }
            return v;
        }
        if (offset == ISR) {
            return readIsr();
        }
        if (offset >= DEVICE && offset + size <= DEVICE + device.configSize()) {
            if (size == 8) {
                return (device.configRead((int) offset - DEVICE, 4) & 0xffffffffL)
                        | ((long) device.configRead((int) offset - DEVICE + 4, 4) << 32);
            }
            return device.configRead((int) offset - DEVICE, size) & 0xffffffffL;
        }
        return 0;
    }

    @Override
    protected void barWrite(int bar, long offset, int size, long value) {
        if (bar == MSIX_BAR && msix != null) {
            if (offset < msix.tableSize()) {
                msix.tableWrite(offset, size, value);
            }
            return;
        }
        if (offset >= COMMON && offset + size <= COMMON + COMMON_LENGTH) {
            commonWrite((int) offset, size, value);
        } else if (offset >= NOTIFY && offset < NOTIFY + (long) NOTIFY_MULTIPLIER * queues.length
                && (offset - NOTIFY) % NOTIFY_MULTIPLIER == 0) {
            notifyQueue((int) (offset - NOTIFY) / NOTIFY_MULTIPLIER);
        }
        // The ISR and the device configuration are read-only to the driver; the rest of the BAR is empty.
    }

    @Override
    protected void capabilityWritten(int offset, int size) {
        if (msix != null) {
            msix.configWritten(offset, size);
        }
        if (offset < pciCfgCap + 20 && offset + size > pciCfgCap + 16) {
            var window = pciCfgWindow();
            if (window != null) {
                barWrite(0, window[0], window[1], configValue(pciCfgCap + 16, 4) & ((1L << (8 * window[1])) - 1));
            }
        }
    }

    @Override
    protected void capabilityRead(int offset, int size) {
        if (offset < pciCfgCap + 20 && offset + size > pciCfgCap + 16) {
            var window = pciCfgWindow();
            if (window != null) {
                initConfig(pciCfgCap + 16, 4, (int) barRead(0, window[0], window[1]));
            }
        }
    }

    /** Stops the worker (waiting for its current request) for good: the VM is closing. Idempotent. */
    @Override
    public void close() {
        QueueWorker w;
        synchronized (lock) {
            closed = true;
            w = worker;
        }
        if (w != null) {
            w.stop();
            w.join();
        }
        device.close();
    }

    // Called by the worker.

    /** The queue's ring as the driver configured it, or null if the driver did not enable it. */
    Virtqueue openQueue(int index, Dma memory) throws VirtqueueException, DmaException {
        QueueRegisters q;
        long features;
        synchronized (lock) {
            q = queues[index];
            if (!q.enabled) {
                return null;
            }
            features = driverFeatures;
        }
        return Virtqueue.open(memory, q.size, q.desc, q.driver, q.device, features, device.maxChainBytes());
    }

    /** Used buffers are there for the driver: interrupt it (its MSI-X vector, or the ISR bit and INTA#). */
    void queueInterrupt(int index) {
        synchronized (lock) {
            if (msix != null && msix.enabled()) {
                msix.fire(queues[index].vector);
            } else {
                isr |= ISR_QUEUE;
                setInterrupt(true);
            }
        }
    }

    /** The driver broke the device: it needs a reset, and says so with a configuration change interrupt. */
    void fail(String reason) {
        synchronized (lock) {
            if ((status & NEEDS_RESET) != 0 || resetting) {
                return;
            }
            failure = reason;
            status |= NEEDS_RESET;
            if (worker != null) {
                worker.stop();
            }
            if ((status & DRIVER_OK) != 0) {
                configInterrupt();
            }
        }
        LOG.log(System.Logger.Level.WARNING, name + " needs a reset: " + reason);
    }

    void workerExited(QueueWorker exited) {
        synchronized (lock) {
            if (worker == exited) {
                worker = null;
                if (resetting) {
                    reset();
                }
            }
        }
    }

    // Registers.

    private int readIsr() {
        synchronized (lock) {
            int v = isr;
            isr = 0;
            setInterrupt(false);
            return v;
        }
    }

    private void notifyQueue(int index) {
        synchronized (lock) {
            if (worker != null && index >= 0 && index < queues.length && queues[index].enabled) {
                worker.kick(index);
            }
        }
    }

    private static int fieldStart(int at) {
        if (at >= QUEUE_DESC) {
            return at & ~7;
        }
        if (at >= CONFIG_MSIX_VECTOR) {
            return at == CONFIG_GENERATION ? at : at & ~1;
        }
        return at & ~3;
    }

    private long commonRead(int field) {
        synchronized (lock) {
            var q = queueSelect < queues.length ? queues[queueSelect] : null;
            return switch (field) {
                case DEVICE_FEATURE_SELECT -> deviceFeatureSelect;
                case DEVICE_FEATURE -> deviceFeatureSelect < 2 ? (offered >>> (32 * deviceFeatureSelect)) & 0xffffffffL : 0;
                case DRIVER_FEATURE_SELECT -> driverFeatureSelect;
                case DRIVER_FEATURE -> driverFeatureSelect < 2 ? (driverFeatures >>> (32 * driverFeatureSelect)) & 0xffffffffL : 0;
                case CONFIG_MSIX_VECTOR -> configVector;
                case NUM_QUEUES -> queues.length;
                case DEVICE_STATUS -> status;
                case CONFIG_GENERATION -> 0;
                case QUEUE_SELECT -> queueSelect;
                case QUEUE_SIZE -> q == null ? 0 : q.size;
                case QUEUE_MSIX_VECTOR -> q == null ? NO_VECTOR : q.vector;
                case QUEUE_ENABLE -> q != null && q.enabled ? 1 : 0;
                case QUEUE_NOTIFY_OFF -> q == null ? 0 : queueSelect;
                case QUEUE_DESC -> q == null ? 0 : q.desc;
                case QUEUE_DRIVER -> q == null ? 0 : q.driver;
                case QUEUE_DEVICE -> q == null ? 0 : q.device;
                default -> 0;
            };
        }
    }

    /**
     * A driver write: honoured at a field's natural width (and a 64-bit address also as two dwords), ignored
     * otherwise, as the specification only defines those accesses.
     */
    private void commonWrite(int offset, int size, long value) {
        synchronized (lock) {
            if (resetting && !(offset == DEVICE_STATUS && value == 0)) {
                return; // the reset completes when the worker stops; the driver waits for status 0 first
            }
            int v = (int) value;
            var q = queueSelect < queues.length && !queues[queueSelect].enabled && (status & DRIVER_OK) == 0 ? queues[queueSelect] : null;
            switch (offset) {
                case DEVICE_FEATURE_SELECT -> deviceFeatureSelect = size == 4 ? v : deviceFeatureSelect;
                case DRIVER_FEATURE_SELECT -> driverFeatureSelect = size == 4 ? v : driverFeatureSelect;
                case DRIVER_FEATURE -> {
                    if (size == 4 && driverFeatureSelect < 2 && (status & FEATURES_OK) == 0) {
                        int shift = 32 * driverFeatureSelect;
                        driverFeatures = (driverFeatures & ~(0xffffffffL << shift)) | ((value & 0xffffffffL) << shift);
                    }
                }
                case CONFIG_MSIX_VECTOR -> configVector = size == 2 ? vector(v & 0xffff) : configVector;
                case DEVICE_STATUS -> {
                    if (size == 1) {
                        writeStatus(v & 0xff);
                    }
                }
                case QUEUE_SELECT -> queueSelect = size == 2 ? v & 0xffff : queueSelect;
                case QUEUE_SIZE -> {
                    if (q != null && size == 2) {
                        q.size = v & 0xffff; // checked when the queue is opened: a bad size then needs a reset
                    }
                }
                case QUEUE_MSIX_VECTOR -> {
                    if (queueSelect < queues.length && size == 2) {
                        queues[queueSelect].vector = vector(v & 0xffff);
                    }
                }
                case QUEUE_ENABLE -> {
                    if (q != null && size == 2 && (v & 0xffff) == 1) {
                        q.enabled = true; // writing 0 is not allowed; a queue is disabled only by a reset
                    }
                }
                case QUEUE_DESC, QUEUE_DESC + 4, QUEUE_DRIVER, QUEUE_DRIVER + 4, QUEUE_DEVICE, QUEUE_DEVICE + 4 -> {
                    if (q != null) {
                        writeAddress(q, offset, size, value);
                    }
                }
                default -> { } // read-only fields
            }
        }
    }

    private static void writeAddress(QueueRegisters q, int offset, int size, long value) {
        int field = offset & ~7;
        boolean upper = (offset & 4) != 0;
        long old = switch (field) {
            case QUEUE_DESC -> q.desc;
            case QUEUE_DRIVER -> q.driver;
            default -> q.device;
        };
        long next;
        if (size == 8 && !upper) {
            next = value;
        } else if (size == 4) {
            next = upper ? (old & 0xffffffffL) | (value << 32) : (old & 0xffffffff00000000L) | (value & 0xffffffffL);
        } else {
            return;
        }
        switch (field) {
            case QUEUE_DESC -> q.desc = next;
            case QUEUE_DRIVER -> q.driver = next;
            default -> q.device = next;
        }
    }

    private int vector(int requested) {
        return msix != null && requested < msix.vectors() ? requested : NO_VECTOR;
    }

    private void writeStatus(int v) {
        if (v == 0) {
            if (worker != null) {
                resetting = true;
                worker.stop();
            } else {
                reset();
            }
            return;
        }
        int next = status | (v & DRIVER_BITS); // the driver cannot clear bits but by a reset, nor set NEEDS_RESET
        int added = next & ~status;
        if ((added & FEATURES_OK) != 0 && !featuresAcceptable()) {
            next &= ~FEATURES_OK;
        }
        status = next;
        if ((added & DRIVER_OK) != 0 && (status & NEEDS_RESET) == 0 && !closed) {
            if ((status & FEATURES_OK) == 0) {
                failure = "the driver set DRIVER_OK without FEATURES_OK";
                status |= NEEDS_RESET;
                configInterrupt();
                return;
            }
            device.activate(driverFeatures);
            worker = new QueueWorker(name, this, device, dma, queues.length);
            worker.start();
        }
    }

    private boolean featuresAcceptable() {
        return (driverFeatures & ~offered) == 0 && (driverFeatures & F_VERSION_1) != 0;
    }

    /** Back to the state after power-on; called with no worker running. */
    private void reset() {
        device.reset();
        resetting = false;
        status = 0;
        deviceFeatureSelect = driverFeatureSelect = queueSelect = 0;
        driverFeatures = 0;
        configVector = NO_VECTOR;
        for (var q : queues) {
            q.size = device.maxQueueSize();
            q.vector = NO_VECTOR;
            q.enabled = false;
            q.desc = q.driver = q.device = 0;
        }
        isr = 0;
        setInterrupt(false);
    }

    private void configInterrupt() {
        if (msix != null && msix.enabled()) {
            msix.fire(configVector);
        } else {
            isr |= ISR_CONFIG;
            setInterrupt(true);
        }
    }

    /** The PCI configuration access window's BAR 0 offset and width, or null if it points nowhere valid. */
    private int[] pciCfgWindow() {
        int bar = configValue(pciCfgCap + 4, 1);
        long offset = configValue(pciCfgCap + 8, 4) & 0xffffffffL;
        int length = configValue(pciCfgCap + 12, 4);
        if (bar != 0 || (length != 1 && length != 2 && length != 4) || offset % length != 0 || offset + length > BAR_SIZE) {
            return null;
        }
        return new int[] {(int) offset, length};
    }

    private int vendorCapability(int type, int offset, int length, int capLength) {
        int at = addCapability(CAP_VENDOR, capLength);
        initConfig(at + 2, 1, capLength);
        initConfig(at + 3, 1, type);
        initConfig(at + 4, 1, 0);
        initConfig(at + 8, 4, offset);
        initConfig(at + 12, 4, length);
        return at;
    }
}
