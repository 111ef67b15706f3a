package dev.corral.engine.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.corral.engine.boot.EntryState;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.cpu.sys.CodePages;
import dev.corral.engine.cpu.sys.CpuidModel;
import dev.corral.engine.cpu.sys.LocalApicPort;
import dev.corral.engine.cpu.sys.SplitLock;
import dev.corral.engine.cpu.sys.VcpuLink;
import dev.corral.engine.machine.TscClock;
import dev.corral.engine.memory.GuestMemory;

/**
 * The system vCPUs of one VM and what they share: guest RAM, the VM's {@link TscClock}, the registry of pages
 * code was decoded from ({@link CodePages}) and the split lock. Each vCPU is a {@link Cpu} made with
 * {@link #cpu}, run on a thread of its own; nothing here is shared between VMs.
 *
 * <p>What the vCPUs see of each other, as on x86 (TSO):
 * <ul>
 *   <li>LOCK-prefixed read-modify-writes and XCHG with memory are atomic on guest RAM, and full fences. One within an
 *       aligned 8-byte word is a compare-and-set on that word; a split one (crossing 8 bytes or a page, CMPXCHG16B)
 *       takes this VM's split lock, which every locked access of the VM respects (it is atomic with respect to other
 *       locked accesses, not to plain stores racing on the same bytes). A locked access to MMIO is not atomic:
 *       devices serialise themselves.</li>
 *   <li>Loads are acquire and stores release, so loads are not reordered with loads, stores not with stores, and
 *       no store is moved ahead of an earlier load; MFENCE, CPUID and locked instructions are full fences.</li>
 *   <li>Each vCPU has its own TLB, flushed by its own CR3, CR4, CR0, EFER writes and INVLPG only.</li>
 *   <li>Code written by any vCPU, or by a device that reports it ({@link #deviceWrote}), is dropped from every
 *       vCPU's decoded blocks by that vCPU's next block boundary; the writer's own blocks from the next
 *       instruction.</li>
 * </ul>
 */
public final class CpuGroup {

    private final GuestMemory ram;
    private final TscClock tsc;
    private final CpuidModel.Platform platform;
    private final CodePages codes;
    private final List<VcpuLink> links;
    private final Cpu[] cpus;
    private final SplitLock splitLock;

    /**
     * The vCPUs of a VM with {@code ram}, {@code tsc} and {@code platform} (whose vCPU count is theirs); make each
     * with {@link #cpu} before any of them runs.
     */
    public CpuGroup(GuestMemory ram, TscClock tsc, CpuidModel.Platform platform) {
        this.ram = Objects.requireNonNull(ram, "ram");
        this.tsc = Objects.requireNonNull(tsc, "tsc");
        this.platform = Objects.requireNonNull(platform, "platform");
        if (platform.tscHz() != tsc.frequencyHz()) {
            throw new IllegalArgumentException("the CPUID model says the TSC runs at " + platform.tscHz()
                    + " Hz but the VM's clock runs at " + tsc.frequencyHz() + " Hz");
        }
        long top = 0;
        for (GuestMemory.Region r : ram.regions()) {
            top = Math.max(top, r.guestAddress() + r.size());
        }
        this.codes = new CodePages(top);
        List<VcpuLink> l = new ArrayList<>();
        for (int k = 0; k < platform.vcpus(); k++) {
            l.add(new VcpuLink(codes));
        }
        this.links = List.copyOf(l);
        codes.setLinks(links);
        this.splitLock = new SplitLock(links);
        this.cpus = new Cpu[platform.vcpus()];
    }

    /** A one-vCPU machine without a local APIC, on its own clock (what {@link Cpu#system} makes). */
    static CpuGroup uniprocessor(GuestMemory ram) {
        return new CpuGroup(ram, new TscClock(System::nanoTime), CpuidModel.Platform.uniprocessor());
    }

    /**
     * vCPU {@code index} (0 is the bootstrap processor; its APIC id is {@code index}), starting in {@code entry},
     * with physical addresses outside RAM on {@code mmio} and the APIC registers that are not MMIO on {@code apic}
     * ({@link LocalApicPort#none()} when the platform has no local APIC).
     *
     * @throws IllegalArgumentException for an index outside the platform's vCPUs, one already made, an entry the CPU
     *                                  cannot start in, or an APIC that contradicts the platform
     */
    public synchronized Cpu cpu(int index, EntryState entry, MmioHandler mmio, LocalApicPort apic) {
        Objects.checkIndex(index, cpus.length);
        if (cpus[index] != null) {
            throw new IllegalArgumentException("vCPU " + index + " of this VM was already made");
        }
        Objects.requireNonNull(apic, "apic: LocalApicPort.none() for a machine without one");
        CpuidModel model = CpuidModel.system(platform, index);
        Cpu cpu = Cpu.system(this, links.get(index), model, entry, mmio, apic);
        cpus[index] = cpu;
        return cpu;
    }

    /**
     * vCPU {@code index} as an application processor (APIC id {@code index}) at power-on: waiting for the STARTUP IPI
     * its local APIC will bring ({@link Cpu#startup}), running nothing until then. Same rules as {@link #cpu}.
     */
    public synchronized Cpu applicationProcessor(int index, MmioHandler mmio, LocalApicPort apic) {
        Objects.checkIndex(index, cpus.length);
        if (cpus[index] != null) {
            throw new IllegalArgumentException("vCPU " + index + " of this VM was already made");
        }
        Objects.requireNonNull(apic, "apic: LocalApicPort.none() for a machine without one");
        Cpu cpu = Cpu.apWaitingForSipi(this, links.get(index), CpuidModel.system(platform, index), mmio, apic);
        cpus[index] = cpu;
        return cpu;
    }

    public CpuidModel.Platform platform() {
        return platform;
    }

    public TscClock tsc() {
        return tsc;
    }

    GuestMemory ram() {
        return ram;
    }

    CodePages codes() {
        return codes;
    }

    /**
     * A device wrote guest RAM {@code [physicalAddress, +length)} behind the CPUs' backs (DMA): code decoded from
     * those bytes is dropped by every vCPU at its next block boundary. Any thread.
     */
    public void deviceWrote(long physicalAddress, long length) {
        codes.deviceWrote(physicalAddress, length);
    }

    SplitLock splitLock() {
        return splitLock;
    }
}
