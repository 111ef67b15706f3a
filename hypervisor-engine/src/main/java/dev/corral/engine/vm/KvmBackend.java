package dev.corral.engine.vm;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

import dev.corral.engine.boot.EntryState;
import dev.corral.engine.host.Accelerator;
import dev.corral.engine.host.AcceleratorProbe;
import dev.corral.engine.kvm.CpuidEntry;
import dev.corral.engine.kvm.Kvm;
import dev.corral.engine.kvm.KvmCpuid;
import dev.corral.engine.kvm.KvmException;
import dev.corral.engine.kvm.KvmRegisters;
import dev.corral.engine.kvm.KvmStructs;
import dev.corral.engine.kvm.VcpuFd;
import dev.corral.engine.kvm.VmFd;
import dev.corral.engine.machine.InterruptController;
import dev.corral.engine.sys.SysException;

/**
 * KVM runs the vCPUs: one VM fd, guest RAM as its memory slots (the same mappings the devices and loaders use), and
 * a KVM vCPU per vCPU. With the in-kernel irqchip (KVM_CREATE_IRQCHIP + KVM_CREATE_PIT2) the kernel is the PICs, the
 * IOAPIC, a local APIC per vCPU and the 8254: devices raise their lines with KVM_IRQ_LINE and send their MSI-X
 * messages with KVM_SIGNAL_MSI ({@link KvmInterrupts}), every vCPU runs and the application processors wait in the
 * kernel for the guest's INIT/SIPI. Without it (a KVM that lacks it, or asked
 * for) the machine's Java PIC and PIT drive vCPU 0 through KVM_INTERRUPT, and only vCPU 0 runs: there is no local
 * APIC to start the others with.
 */
final class KvmBackend implements Backend {

    enum Irqchip {
        /** The kernel's PICs, IOAPIC, local APICs and PIT, where KVM has them; the userspace fallback where it does not. */
        IN_KERNEL,
        /** The machine's Java PIC and PIT, interrupts injected with KVM_INTERRUPT. */
        USERSPACE
    }

    private static final System.Logger LOG = System.getLogger(KvmBackend.class.getName());
    /** Three pages for VMX's real-mode TSS, above RAM and below the BIOS area, where QEMU and Firecracker put them. */
    static final long TSS_ADDRESS = 0xfffbd000L;
    /** Guest RAM below 4 GiB ends before the IOAPIC, the local APICs and the TSS pages: the kernel owns those addresses. */
    static final long LOW_RAM_LIMIT = 0xfec00000L;
    /** What a Linux guest is told on kvm_pvm: see {@link #kernelCmdline(String)}. A word the user gave wins. */
    static final java.util.List<String> PVM_KERNEL_WORDS = java.util.List.of("noxsave", "clearcpuid=smap,popcnt");
    private static final long APIC_LVT_LINT0 = 0x350, APIC_LVT_LINT1 = 0x360;
    private static final int APIC_DELIVERY_EXTINT = 0x700, APIC_DELIVERY_NMI = 0x400;
    /**
     * MSRs a firmware would have set: IA32_MISC_ENABLE with fast strings, and IA32_MTRR_DEF_TYPE enabled with write-back
     * as the default memory type (all of RAM cacheable, as Firecracker and kvmtool boot their guests).
     */
    private static final long[][] BOOT_MSRS = {{0x1a0, 1}, {0x2ff, (1 << 11) | 6}};

    private final String name;
    private final VmFd vm;
    private final List<CpuidEntry> supported;
    private final boolean inKernelIrqchip;
    /** Where the devices' interrupts go: null without the in-kernel irqchip (the machine's Java PIC takes them). */
    private final InterruptController interrupts;
    private final boolean pvm;
    private final List<KvmVcpu> vcpus = new ArrayList<>();

    private KvmBackend(String name, VmFd vm, List<CpuidEntry> supported, boolean inKernelIrqchip, boolean signalMsi, boolean pvm) {
        this.name = name;
        this.vm = vm;
        this.supported = supported;
        this.inKernelIrqchip = inKernelIrqchip;
        this.interrupts = !inKernelIrqchip ? null : signalMsi ? new KvmInterrupts(name, vm) : vm::setIrqLine;
        this.pvm = pvm;
    }

    /** Opens {@code device} (/dev/kvm), or says in an AcceleratorUnavailableException why this host cannot run the VM under KVM. */
    static Kvm openDevice(String vmName, String device) {
        try {
            return Kvm.open(device);
        } catch (SysException | KvmException e) {
            throw new AcceleratorUnavailableException("VM " + vmName + ": KVM is not available here: " + e.getMessage(), e);
        }
    }

    static KvmBackend open(VmConfig config, Irqchip irqchip) {
        return open(config, openDevice(config.name(), Kvm.DEVICE), irqchip);
    }

    /** Creates the KVM VM for {@code config} from {@code kvm}, which it closes. */
    static KvmBackend open(VmConfig config, Kvm kvm, Irqchip irqchip) {
        VmFd vm = null;
        try (kvm) {
            require(kvm, Kvm.CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", config);
            require(kvm, Kvm.CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", config);
            var supported = kvm.supportedCpuid();
            vm = kvm.createVm();
            if (kvm.checkExtension(Kvm.CAP_SET_TSS_ADDR) > 0) {
                vm.setTssAddress(TSS_ADDRESS);
            }
            boolean inKernel = irqchip == Irqchip.IN_KERNEL && kvm.checkExtension(Kvm.CAP_IRQCHIP) > 0
                    && kvm.checkExtension(Kvm.CAP_PIT2) > 0;
            if (irqchip == Irqchip.IN_KERNEL && !inKernel) {
                LOG.log(System.Logger.Level.WARNING, "VM " + config.name() + ": this KVM has no in-kernel irqchip and PIT; "
                        + "the Java PIC and PIT drive vCPU 0 and the other vCPUs do not run");
            }
            if (inKernel) {
                vm.createIrqchip();
                vm.createPit2();
            }
            // Every x86 KVM since Linux 3.5 has KVM_SIGNAL_MSI; one without it leaves the devices on INTx.
            boolean signalMsi = inKernel && kvm.checkExtension(Kvm.CAP_SIGNAL_MSI) > 0;
            boolean pvm = AcceleratorProbe.ofHost().probe().accelerator() == Accelerator.KVM_PVM;
            return new KvmBackend(config.name(), vm, supported, inKernel, signalMsi, pvm);
        } catch (SysException | KvmException e) {
            if (vm != null) {
                vm.close();
            }
            throw new VmException("VM " + config.name() + ": cannot create it under KVM: " + e.getMessage(), e);
        }
    }

    private static void require(Kvm kvm, int capability, String what, VmConfig config) {
        if (kvm.checkExtension(capability) <= 0) {
            throw new KvmException("this KVM lacks " + what + ", which VM " + config.name() + " needs");
        }
    }

    @Override
    public VmAccelerator accelerator() {
        return VmAccelerator.KVM;
    }

    /**
     * On kvm_pvm, {@code noxsave clearcpuid=smap,popcnt}: there KVM's instruction emulator runs all guest ring-0 code,
     * and the Debian 6.1 kernel ran into instructions it cannot emulate (KVM_EXIT_INTERNAL_ERROR, emulation; measured
     * here, one after the other): {@code xrstor} (~140 s of guest time into the boot), then with XSAVE off {@code clac}
     * (bytes 0f 01 ca, SMAP) and, with SMAP off, {@code popcnt} (f3 48 0f b8), both right after the kernel patched its
     * alternatives. Hiding the features in CPUID does not help: the guest's CPUID
     * leaves 1 and 7 show the host's feature bits whatever KVM_SET_CPUID2 said (only EBX of leaf 1, the APIC id and CPU
     * count, came from KVM_SET_CPUID2). Only the kernel's own switches keep it off them. Other guests ignore the words.
     */
    @Override
    public String kernelCmdline(String cmdline) {
        return kernelCmdline(cmdline, pvm);
    }

    static String kernelCmdline(String cmdline, boolean pvm) {
        if (!pvm) {
            return cmdline;
        }
        var words = new java.util.ArrayList<>(java.util.Arrays.asList(cmdline.isBlank() ? new String[0] : cmdline.trim().split(" +")));
        for (String word : PVM_KERNEL_WORDS) {
            String key = word.substring(0, word.indexOf('=') < 0 ? word.length() : word.indexOf('='));
            if (words.stream().noneMatch(w -> w.equals(key) || w.startsWith(key + "="))) {
                words.add(word);
            }
        }
        return String.join(" ", words);
    }

    /**
     * With the in-kernel irqchip, {@link KvmInterrupts}: the lines, and (being an MsiSink too) the PCI functions'
     * MSI-X messages, which the machine then offers the guest; without it null.
     */
    @Override
    public InterruptController irqchip() {
        return interrupts;
    }

    boolean inKernelIrqchip() {
        return inKernelIrqchip;
    }

    @Override
    public List<Slot> createVcpus(VmConfig config, PcMachine machine, IntConsumer wake) {
        try {
            int slot = 0;
            for (var region : machine.memory.regions()) {
                long end = region.guestAddress() + region.size();
                if (region.guestAddress() < LOW_RAM_LIMIT && end > LOW_RAM_LIMIT) {
                    throw new VmException(String.format("VM %s: under KVM guest RAM below 4 GiB ends by 0x%x (the IOAPIC and local "
                            + "APICs are above); %d MiB does not fit", config.name(), LOW_RAM_LIMIT, config.memoryBytes() >> 20));
                }
                vm.setUserMemoryRegion(slot++, region.guestAddress(), region.host());
            }
            int count = inKernelIrqchip ? config.vcpus() : 1;
            // The MADT and the MP table that describe the in-kernel local APICs and IOAPIC are the machine's (PcMachine
            // describes APICs to the guest exactly when KVM's irqchip is them).
            var policy = KvmCpuid.Policy.of(inKernelIrqchip, pvm);
            var slots = new ArrayList<Slot>();
            for (int id = 0; id < count; id++) {
                VcpuFd fd = vm.createVcpu(id);
                var cpu = new KvmVcpu(fd, !inKernelIrqchip, "vcpu" + id + "-" + name);
                vcpus.add(cpu);
                // CPUID before anything else: measured on kvm_pvm, the in-kernel local APIC dropped the timer's periodic
                // mode (one tick, then none) on a vCPU whose CPUID had not been set (REFERENCE-MEASUREMENTS.md).
                fd.setCpuid(KvmCpuid.forVcpu(supported, id, count, policy));
                fd.setMsrs(BOOT_MSRS);
                if (inKernelIrqchip) {
                    wireLocalInterrupts(fd, id == 0);
                }
                if (id == 0) {
                    enter(fd, machine.plan.entry());
                } // the others stay as KVM made them: waiting for INIT and SIPI
                slots.add(new Slot(cpu, inKernelIrqchip ? InterruptSource.NONE : InterruptSource.of(machine.chipset)));
            }
            return slots;
        } catch (SysException | KvmException e) {
            throw new VmException("VM " + config.name() + ": cannot set up its vCPUs under KVM: " + e.getMessage(), e);
        }
    }

    /**
     * LINT0 as ExtINT on the bootstrap processor, so the 8259A's INTR reaches it while the guest has not set up its
     * local APIC (a guest that uses only the PIC, as the ticker does, never does), and LINT1 as NMI everywhere: what
     * a BIOS leaves and what the MP table says. Only one CPU takes ExtINT: two would race for the PIC's INTA.
     */
    private static void wireLocalInterrupts(VcpuFd fd, boolean bootstrap) {
        try (var arena = Arena.ofConfined()) {
            var lapic = arena.allocate(KvmStructs.LAPIC_STATE);
            fd.getLapic(lapic);
            if (bootstrap) {
                lapic.set(ValueLayout.JAVA_INT, APIC_LVT_LINT0, APIC_DELIVERY_EXTINT);
            }
            lapic.set(ValueLayout.JAVA_INT, APIC_LVT_LINT1, APIC_DELIVERY_NMI);
            fd.setLapic(lapic);
        }
    }

    /** The boot vCPU's registers as the loader left them for the kernel's entry. */
    private static void enter(VcpuFd fd, EntryState entry) {
        try (var arena = Arena.ofConfined()) {
            var sregs = arena.allocate(KvmStructs.SREGS);
            fd.getSregs(sregs);
            KvmRegisters.writeSregs(entry, sregs);
            fd.setSregs(sregs);
            var regs = arena.allocate(KvmStructs.REGS);
            KvmRegisters.writeRegs(entry, regs);
            fd.setRegs(regs);
        }
    }

    @Override
    public void close() {
        for (var cpu : vcpus) {
            cpu.close();
        }
        vm.close();
    }
}
