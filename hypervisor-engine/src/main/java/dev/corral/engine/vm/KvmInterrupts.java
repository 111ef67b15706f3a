package dev.corral.engine.vm;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.corral.engine.devices.apic.ApicMessage;
import dev.corral.engine.devices.pci.MsiSink;
import dev.corral.engine.kvm.KvmException;
import dev.corral.engine.kvm.VmFd;
import dev.corral.engine.machine.InterruptController;
import dev.corral.engine.sys.SysException;

/**
 * KVM's in-kernel irqchip as the machine's devices see it: ISA and PCI INTx lines go to its PICs and IOAPIC with
 * KVM_IRQ_LINE, PCI MSI-X messages to its local APICs with KVM_SIGNAL_MSI. Both are called from device worker threads
 * (and, for a message the guest unmasks, from a vCPU thread) while other vCPU threads sit in KVM_RUN; both ioctls are
 * thread-safe in KVM, and {@link VmFd} fills their argument structs (allocated once, in automatic arenas any thread
 * may touch) under its lock.
 *
 * <p>A message never throws back into the device (and so never into the guest's MMIO write that unmasked it): an
 * address outside the interrupt window 0xfee00000-0xfeefffff is dropped, as a PC chipset would not make it an
 * interrupt; a message no local APIC accepts (the guest has its APIC software-disabled, or no APIC has that id) is
 * blocked; a message KVM refuses is logged, the first time, and counted. The counts are this VM's alone.
 */
final class KvmInterrupts implements InterruptController, MsiSink {

    private static final System.Logger LOG = System.getLogger(KvmInterrupts.class.getName());

    private final String vmName;
    private final VmFd vm;
    private final LongAdder delivered = new LongAdder();
    private final LongAdder blocked = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final AtomicLong failed = new AtomicLong();

    KvmInterrupts(String vmName, VmFd vm) {
        this.vmName = vmName;
        this.vm = vm;
    }

    @Override
    public void setLevel(int irq, boolean asserted) {
        vm.setIrqLine(irq, asserted);
    }

    @Override
    public void send(long address, int data) {
        if (!ApicMessage.isMsiAddress(address)) {
            dropped.increment();
            return;
        }
        try {
            if (vm.signalMsi(address, data) > 0) {
                delivered.increment();
            } else {
                blocked.increment();
            }
        } catch (SysException | KvmException e) {
            if (failed.incrementAndGet() == 1) {
                LOG.log(System.Logger.Level.WARNING, String.format("VM %s: an MSI-X message (0x%x <- 0x%x) was lost, and later "
                        + "failures are only counted: %s", vmName, address, data, e.getMessage()));
            }
        }
    }

    /** Messages at least one local APIC accepted. */
    long delivered() {
        return delivered.sum();
    }

    /** Messages KVM took but no local APIC accepted. */
    long blocked() {
        return blocked.sum();
    }

    /** Messages to an address outside the interrupt window, never handed to KVM. */
    long dropped() {
        return dropped.sum();
    }

    /** Messages KVM_SIGNAL_MSI failed on (lost). */
    long failed() {
        return failed.get();
    }
}
