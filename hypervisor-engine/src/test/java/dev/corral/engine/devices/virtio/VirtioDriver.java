package dev.corral.engine.devices.virtio;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

import dev.corral.engine.devices.pci.PciBus;
import dev.corral.engine.machine.MmioBus;

/**
 * What a virtio-pci driver does, for tests: finds the device's regions by walking its vendor capabilities through
 * ECAM, enables it, negotiates, programs queues, notifies, reads the ISR, all through the machine's MMIO bus as a
 * guest would.
 */
final class VirtioDriver {

    static final long ECAM = PciBus.Layout.PC.ecamBase();

    final MmioBus mmio;
    final int slot;
    final Map<Integer, Long> regions = new HashMap<>(); // cfg_type -> guest-physical address
    final Map<Integer, Integer> capabilities = new HashMap<>(); // cfg_type -> offset in configuration space
    int notifyMultiplier;

    VirtioDriver(MmioBus mmio, int slot) {
        this.mmio = mmio;
        this.slot = slot;
        config(0x04, 2, 0x0006); // memory decode, bus master
        long bar0 = (config(0x10, 4) & 0xfffffff0L) | ((long) config(0x14, 4) << 32);
        for (int cap = config(0x34, 1); cap != 0; cap = config(cap + 1, 1)) {
            if (config(cap, 1) == VirtioPciDevice.CAP_VENDOR) {
                int type = config(cap + 3, 1);
                capabilities.put(type, cap);
                regions.put(type, bar0 + config(cap + 8, 4));
                if (type == VirtioPciDevice.CAP_NOTIFY) {
                    notifyMultiplier = config(cap + 16, 4);
                }
            }
        }
    }

    int config(int register, int size) {
        return (int) mmio.read(ECAM + ((long) slot << 15) + register, size);
    }

    void config(int register, int size, int value) {
        mmio.write(ECAM + ((long) slot << 15) + register, size, value & 0xffffffffL);
    }

    long common(int offset, int size) {
        return mmio.read(regions.get(VirtioPciDevice.CAP_COMMON) + offset, size);
    }

    void common(int offset, int size, long value) {
        mmio.write(regions.get(VirtioPciDevice.CAP_COMMON) + offset, size, value);
    }

    int status() {
        return (int) common(VirtioPciDevice.DEVICE_STATUS, 1);
    }

    void status(int value) {
        common(VirtioPciDevice.DEVICE_STATUS, 1, value);
    }

    long deviceFeatures() {
        common(VirtioPciDevice.DEVICE_FEATURE_SELECT, 4, 0);
        long low = common(VirtioPciDevice.DEVICE_FEATURE, 4);
        common(VirtioPciDevice.DEVICE_FEATURE_SELECT, 4, 1);
        return low | common(VirtioPciDevice.DEVICE_FEATURE, 4) << 32;
    }

    /** Reset, ACKNOWLEDGE, DRIVER, the features, FEATURES_OK; returns whether FEATURES_OK stuck. */
    boolean negotiate(long features) {
        status(0);
        await(() -> status() == 0);
        status(VirtioPciDevice.ACKNOWLEDGE);
        status(VirtioPciDevice.ACKNOWLEDGE | VirtioPciDevice.DRIVER);
        common(VirtioPciDevice.DRIVER_FEATURE_SELECT, 4, 0);
        common(VirtioPciDevice.DRIVER_FEATURE, 4, features & 0xffffffffL);
        common(VirtioPciDevice.DRIVER_FEATURE_SELECT, 4, 1);
        common(VirtioPciDevice.DRIVER_FEATURE, 4, features >>> 32);
        status(status() | VirtioPciDevice.FEATURES_OK);
        return (status() & VirtioPciDevice.FEATURES_OK) != 0;
    }

    void queue(int index, int size, long table, long avail, long used) {
        common(VirtioPciDevice.QUEUE_SELECT, 2, index);
        common(VirtioPciDevice.QUEUE_SIZE, 2, size);
        common(VirtioPciDevice.QUEUE_DESC, 4, table);
        common(VirtioPciDevice.QUEUE_DESC + 4, 4, table >>> 32);
        common(VirtioPciDevice.QUEUE_DRIVER, 8, avail);
        common(VirtioPciDevice.QUEUE_DEVICE, 4, used);
        common(VirtioPciDevice.QUEUE_DEVICE + 4, 4, 0);
        common(VirtioPciDevice.QUEUE_ENABLE, 2, 1);
    }

    void driverOk() {
        status(status() | VirtioPciDevice.DRIVER_OK);
    }

    void notify(int queue) {
        common(VirtioPciDevice.QUEUE_SELECT, 2, queue);
        long off = common(VirtioPciDevice.QUEUE_NOTIFY_OFF, 2);
        mmio.write(regions.get(VirtioPciDevice.CAP_NOTIFY) + off * notifyMultiplier, 2, queue);
    }

    int isr() {
        return (int) mmio.read(regions.get(VirtioPciDevice.CAP_ISR), 1);
    }

    long deviceConfig(int offset, int size) {
        return mmio.read(regions.get(VirtioPciDevice.CAP_DEVICE) + offset, size);
    }

    /** Waits for a worker thread's doing: a liveness bound, never a speed assertion. */
    static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the device did not get there in 30 s");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for the device", e);
            }
        }
    }
}
