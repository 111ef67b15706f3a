package dev.corral.engine.vm;

import java.util.Objects;

import dev.corral.engine.devices.pci.Dma;

/**
 * Where a machine's devices report their writes into guest RAM, passed on to whoever must hear of them: the software
 * CPU's vCPUs drop code they decoded from those bytes. The devices are built before the vCPUs, so the listener is
 * set once they exist; until then (and for KVM, where the hardware sees the writes) nothing listens.
 */
final class DmaWrites implements Dma.WriteObserver {

    private volatile Dma.WriteObserver listener = Dma.WriteObserver.NONE;

    void listen(Dma.WriteObserver listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void written(long address, long length) {
        listener.written(address, length);
    }
}
