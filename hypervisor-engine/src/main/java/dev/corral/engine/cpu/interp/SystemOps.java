package dev.corral.engine.cpu.interp;

import static dev.corral.engine.cpu.state.CpuExit.Fault.GP;
import static dev.corral.engine.cpu.state.CpuExit.Fault.NP;
import static dev.corral.engine.cpu.state.CpuExit.Fault.SS;
import static dev.corral.engine.cpu.decode.SysOp.*;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;
import dev.corral.engine.cpu.sys.Delivery;
import dev.corral.engine.cpu.sys.ModeControl;
import dev.corral.engine.cpu.sys.ModelMsrs;
import dev.corral.engine.cpu.sys.PagedMemory;
import dev.corral.engine.cpu.sys.Segments;

/**
 * Executes the system instructions of a {@link Cpu#system} CPU ({@link SystemDecoder} decodes them).
 * Privileged ones at CPL3 raise #GP(0); IN/OUT, CLI and STI are allowed when CPL &lt;= IOPL (the TSS I/O
 * permission bitmap is not consulted). Writes to CR0, CR3, CR4 and INVLPG flush the TLB; CR0 and EFER writes
 * switch modes as {@link ModeControl} says. IRETQ, RETF and SYSRET may return to compatibility mode.
 */
public final class SystemOps {

    /** CR0 bits a guest may set: PE MP EM TS ET NE WP AM NW CD PG. */
    private static final long CR0_WRITABLE = 0xe005003fL;
    /** CR4 bits a guest may set: VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT (nothing unadvertised). */
    private static final long CR4_WRITABLE = 0x7ffL;
    private static final long EFER_WRITABLE = CpuState.EFER_SCE | CpuState.EFER_LME | CpuState.EFER_NXE;

    static final int MSR_TSC = 0x10, MSR_MTRRCAP = 0xfe, MSR_SYSENTER_CS = 0x174,
            MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176, MSR_MCG_CAP = 0x179, MSR_MCG_STATUS = 0x17a,
            MSR_MISC_ENABLE = 0x1a0, MSR_PAT = 0x277, MSR_MTRR_DEF_TYPE = 0x2ff, MSR_EFER = 0xc0000080,
            MSR_STAR = 0xc0000081, MSR_LSTAR = 0xc0000082, MSR_CSTAR = 0xc0000083, MSR_FMASK = 0xc0000084,
            MSR_FS_BASE = 0xc0000100, MSR_GS_BASE = 0xc0000101, MSR_KERNEL_GS_BASE = 0xc0000102, MSR_TSC_AUX = 0xc0000103;
    /** IA32_MISC_ENABLE: fast strings enabled, as firmware leaves it. */
    private static final long MISC_ENABLE = 1;

    private final Operands x;
    private final CpuState s;
    private final long[] g;
    private final PagedMemory mem;
    private final Delivery delivery;
    /** The size of the IN whose value {@link Cpu#completePortIn} supplies, 0 when none is pending. */
    public int pendingIn;
    /** The segment descriptor caches, which 64-bit loads keep current for compatibility mode; set by the CPU. */
    public Segments seg;
    /** The model's other MSRs, the local APIC's and CR8 (set by {@link Cpu}). */
    public ModelMsrs msrs;

    public SystemOps(Operands x, PagedMemory mem, Delivery delivery) {
        this.x = x;
        this.s = x.s;
        this.g = x.gpr;
        this.mem = mem;
        this.delivery = delivery;
    }

    int exec(Insn i) {
        switch (i.sub) {
            case IN, OUT -> {
                return io(i);
            }
            case CLI -> {
                ioPrivilege(i);
                s.rflags &= ~CpuState.IF;
            }
            case STI -> {
                ioPrivilege(i);
                if ((s.rflags & CpuState.IF) == 0) {
                    s.rflags |= CpuState.IF;
                    s.interruptShadow = true; // interrupts wait until the next instruction has run
                }
                s.rip = i.next;
                return Operands.JUMPED; // the run loop starts the shadowed instruction on its own
            }
            case HLT -> {
                privileged(i);
                s.rip = i.next;
                x.setExit(Operands.HALT_EXIT);
                return Operands.EXIT;
            }
            case INT -> {
                // INT3 and INT n check the gate's DPL (a user-mode INT3 needs a DPL3 gate, as Linux sets).
                return delivered(delivery.deliver((int) i.imm, Delivery.SOFTWARE, 0, i.next, i.rip));
            }
            case INT1 -> {
                return delivered(delivery.deliver(CpuExit.Fault.DB, Delivery.EXCEPTION, 0, i.next, i.rip));
            }
            case IRET -> {
                iret(i);
                return Operands.JUMPED;
            }
            case RETF -> {
                retf(i);
                return Operands.JUMPED;
            }
            case MOV_FROM_SREG -> {
                long v = selector((int) i.imm);
                if (i.rm >= 0) {
                    x.setReg(i.rm, i.size, v);
                } else {
                    x.store(x.ea(i), 2, v);
                }
            }
            case MOV_TO_SREG -> {
                loadSegment(i, (int) i.imm, (int) x.readRm(i, 2));
                if (i.imm == 2) {
                    s.interruptShadow = true; // MOV SS holds off interrupts for one instruction
                    s.rip = i.next;
                    return Operands.JUMPED;
                }
            }
            case PUSH_SREG -> x.push(i, i.size, selector((int) i.imm));
            case POP_SREG -> {
                long sp = x.stack(i, g[CpuState.RSP]);
                int sel = (int) x.load(sp, i.size) & 0xffff;
                loadSegment(i, (int) i.imm, sel);
                g[CpuState.RSP] = sp + i.size;
            }
            case SLDT, STR -> {
                long v = i.sub == SLDT ? s.ldtr : s.tr;
                if (i.rm >= 0) {
                    x.setReg(i.rm, i.size, v);
                } else {
                    x.store(x.ea(i), 2, v);
                }
            }
            case LLDT -> {
                privileged(i);
                seg.lldt((int) x.readRm(i, 2)); // 64-bit code does not reach the LDT here; compatibility mode does
            }
            case LTR -> {
                privileged(i);
                ltr((int) x.readRm(i, 2));
            }
            case SGDT, SIDT -> {
                privileged(i); // UMIP is not advertised, but a kernel-only answer is the safe one
                long a = x.ea(i);
                x.storable(a, 10);
                x.store(a, 2, i.sub == SGDT ? s.gdtLimit : s.idtLimit);
                x.store(x.ea(i) + 2, 8, i.sub == SGDT ? s.gdtBase : s.idtBase);
            }
            case LGDT, LIDT -> {
                privileged(i);
                long a = x.ea(i);
                int limit = (int) x.load(a, 2);
                long base = x.load(a + 2, 8);
                if (((base << 16) >> 16) != base) {
                    throw GuestFault.gp("descriptor table base 0x" + Long.toHexString(base) + " is not canonical");
                }
                if (i.sub == LGDT) {
                    s.gdtBase = base;
                    s.gdtLimit = limit;
                } else {
                    s.idtBase = base;
                    s.idtLimit = limit;
                }
            }
            case SMSW -> {
                if (i.rm >= 0) {
                    x.setReg(i.rm, i.size, s.cr0);
                } else {
                    x.store(x.ea(i), 2, s.cr0);
                }
            }
            case LMSW -> {
                privileged(i);
                long v = x.readRm(i, 2) & 0xf;
                writeCr0((s.cr0 & ~0xeL) | v | (s.cr0 & CpuState.CR0_PE)); // LMSW cannot clear PE
            }
            case INVLPG -> {
                privileged(i);
                mem.invalidate(x.address(i));
            }
            case SWAPGS -> {
                privileged(i);
                long t = s.gsBase;
                s.gsBase = s.kernelGsBase;
                s.kernelGsBase = t;
            }
            case SYSCALL -> {
                return syscall(i);
            }
            case SYSRET -> {
                sysret(i);
                return Operands.JUMPED;
            }
            case CLTS -> {
                privileged(i);
                s.cr0 &= ~CpuState.CR0_TS;
            }
            case WBINVD -> privileged(i); // no caches to write back
            case MOV_FROM_CR -> {
                privileged(i);
                g[i.rm] = switch (i.reg) {
                    case 0 -> s.cr0;
                    case 2 -> s.cr2;
                    case 3 -> s.cr3;
                    case 4 -> s.cr4;
                    default -> msrs.cr8();
                };
            }
            case MOV_TO_CR -> {
                privileged(i);
                long v = g[i.rm];
                switch (i.reg) {
                    case 0 -> writeCr0(v);
                    case 2 -> s.cr2 = v;
                    case 3 -> {
                        if ((v & 0xfff0000000000000L) != 0) {
                            throw GuestFault.gp("CR3 value 0x" + Long.toHexString(v) + " sets reserved bits");
                        }
                        s.cr3 = v;
                        mem.flushNonGlobal();
                    }
                    case 4 -> writeCr4(v);
                    default -> msrs.setCr8(v);
                }
            }
            case MOV_FROM_DR -> {
                privileged(i);
                g[i.rm] = s.dr[i.reg];
            }
            case MOV_TO_DR -> {
                privileged(i);
                s.dr[i.reg] = g[i.rm]; // kept for reading back; no breakpoint ever fires
            }
            case RDMSR -> {
                privileged(i);
                long v = readMsr((int) g[CpuState.RCX]);
                g[CpuState.RAX] = v & 0xffffffffL;
                g[CpuState.RDX] = v >>> 32;
            }
            case WRMSR -> {
                privileged(i);
                writeMsr((int) g[CpuState.RCX], (g[CpuState.RDX] << 32) | (g[CpuState.RAX] & 0xffffffffL));
            }
            case VERR, VERW -> SegmentChecks.verify(x, delivery, i, i.sub == VERW);
            default -> throw GuestFault.ud("system instruction " + i.sub + " at rip 0x" + Long.toHexString(i.rip));
        }
        return Operands.NEXT;
    }

    private int delivered(CpuExit.Shutdown shutdown) {
        if (shutdown != null) {
            x.setExit(shutdown);
            return Operands.EXIT;
        }
        return Operands.JUMPED;
    }

    private void privileged(Insn i) {
        if (s.cpl != 0) {
            throw GuestFault.gp("privileged instruction at CPL " + s.cpl + " at rip 0x" + Long.toHexString(i.rip));
        }
    }

    private void ioPrivilege(Insn i) {
        if (s.cpl > ((s.rflags & CpuState.IOPL) >>> 12)) {
            throw GuestFault.gp("I/O or interrupt-flag instruction at CPL " + s.cpl + " above IOPL at rip 0x"
                    + Long.toHexString(i.rip));
        }
    }

    private int io(Insn i) {
        ioPrivilege(i);
        int port = i.imm >= 0 ? (int) i.imm : (int) g[CpuState.RDX] & 0xffff;
        s.rip = i.next;
        if (i.sub == OUT) {
            x.setExit(new CpuExit.PortIo(false, port, i.size, (int) x.reg(0, i.size)));
        } else {
            x.setReg(0, i.size, -1L); // all ones until the caller supplies the port's value
            pendingIn = i.size;
            x.setExit(new CpuExit.PortIo(true, port, i.size, 0));
        }
        return Operands.EXIT;
    }

    private long selector(int sreg) {
        return switch (sreg) {
            case 0 -> s.es;
            case 1 -> s.cs;
            case 2 -> s.ss;
            case 3 -> s.ds;
            case 4 -> s.fs;
            default -> s.gs;
        };
    }

    /**
     * MOV Sreg, POP FS/GS: 64-bit semantics. Only FS and GS have a base (a selector load sets it from the
     * descriptor, a null one clears it, as Intel parts do); SS must be a writable data segment at CPL.
     */
    private void loadSegment(Insn i, int sreg, int sel) {
        if ((sel & ~3) == 0) {
            if (sreg == 2 && s.cpl == 3) {
                throw new GuestFault(GP, 0, "null SS at CPL 3 (rip 0x" + Long.toHexString(i.rip) + ")");
            }
            seg.loadNull(sreg, sel); // a null FS or GS also clears the base, as Intel parts do
        } else {
            long d = delivery.descriptor(sel, 0);
            long err = sel & ~3;
            int dpl = (int) (d >>> 45) & 3;
            boolean codeOrData = (d & (1L << 44)) != 0;
            boolean code = (d & (1L << 43)) != 0;
            boolean writable = !code && (d & (1L << 41)) != 0;
            boolean readable = !code || (d & (1L << 41)) != 0;
            boolean conforming = code && (d & (1L << 42)) != 0;
            if (sreg == 2) {
                if (!codeOrData || !writable || (sel & 3) != s.cpl || dpl != s.cpl) {
                    throw new GuestFault(GP, err, "selector 0x" + Integer.toHexString(sel) + " is not a writable data segment at CPL "
                            + s.cpl);
                }
                if ((d & (1L << 47)) == 0) {
                    throw new GuestFault(SS, err, "stack segment 0x" + Integer.toHexString(sel) + " is not present");
                }
            } else {
                if (!codeOrData || !readable || (!conforming && dpl < Math.max(s.cpl, sel & 3))) {
                    throw new GuestFault(GP, err, "selector 0x" + Integer.toHexString(sel) + " cannot be loaded into a data segment register");
                }
                if ((d & (1L << 47)) == 0) {
                    throw new GuestFault(NP, err, "segment 0x" + Integer.toHexString(sel) + " is not present");
                }
            }
            seg.load(sreg, sel, d); // FS and GS get their 32-bit base from it
        }
    }

    void ltr(int sel) {
        long d = delivery.descriptor(sel, 0);
        int type = (int) (d >>> 40) & 0x1f;
        if (type != 0x9) {
            throw new GuestFault(GP, sel & ~3, "LTR of selector 0x" + Integer.toHexString(sel) + ", not an available 64-bit TSS");
        }
        if ((d & (1L << 47)) == 0) {
            throw new GuestFault(NP, sel & ~3, "TSS 0x" + Integer.toHexString(sel) + " is not present");
        }
        long base = delivery.systemBase(sel, d);
        boolean wasUser = mem.user();
        mem.setUser(false);
        try {
            mem.write64(s.gdtBase + (sel & ~7), d | (2L << 40)); // busy
        } finally {
            mem.setUser(wasUser);
        }
        s.tr = sel;
        s.trBase = base;
        s.trLimit = (int) Math.min(Delivery.limit(d), Integer.MAX_VALUE);
    }

    /**
     * IRETQ (or IRETD): 64-bit mode always pops RIP, CS, RFLAGS, RSP and SS; to the same level or to CPL3, into
     * 64-bit or compatibility mode.
     */
    private void iret(Insn i) {
        int n = i.size;
        long sp = x.stack(i, g[CpuState.RSP]);
        long rip = x.load(sp, n);
        int cs = (int) x.load(sp + n, n) & 0xffff;
        long flags = x.load(sp + 2L * n, n);
        long rsp = x.load(sp + 3L * n, n);
        int ss = (int) x.load(sp + 4L * n, n) & 0xffff;
        long csd = returnCs(cs);
        int newCpl = cs & 3;
        long ssd = 0;
        if ((ss & ~3) == 0) {
            if (newCpl == 3) {
                throw new GuestFault(GP, 0, "IRET to CPL 3 with a null SS");
            }
        } else {
            long d = delivery.descriptor(ss, 0);
            boolean writableData = ((d >>> 43) & 3) == 2 && (d & (1L << 41)) != 0;
            if (!writableData || (ss & 3) != newCpl || ((d >>> 45) & 3) != newCpl) {
                throw new GuestFault(GP, ss & ~3, "IRET with SS 0x" + Integer.toHexString(ss) + " not a writable data segment at CPL " + newCpl);
            }
            if ((d & (1L << 47)) == 0) {
                throw new GuestFault(SS, ss & ~3, "IRET with SS 0x" + Integer.toHexString(ss) + " not present");
            }
            ssd = d;
        }
        long newRip = target(rip, csd); // checked before anything changes
        if (n == 4) {
            flags = (s.rflags & ~0xffffffffL) | flags;
        }
        setFlags(flags, CpuState.CF | CpuState.PF | CpuState.AF | CpuState.ZF | CpuState.SF | CpuState.DF | CpuState.OF
                | CpuState.NT | CpuState.AC | CpuState.ID);
        s.rip = newRip;
        seg.load(Segments.CS, cs, csd);
        if (ssd == 0) {
            seg.loadNull(Segments.SS, ss);
        } else {
            seg.load(Segments.SS, ss, ssd);
        }
        g[CpuState.RSP] = rsp;
        enterCpl(newCpl);
    }

    /** RETF (REX.W LRETQ): pops RIP and CS, to the same privilege level only. */
    private void retf(Insn i) {
        int n = i.size;
        long sp = x.stack(i, g[CpuState.RSP]);
        long rip = x.load(sp, n);
        int cs = (int) x.load(sp + n, n) & 0xffff;
        if ((cs & 3) != s.cpl) {
            throw new GuestFault(GP, cs & ~3, "far return to another privilege level is not supported");
        }
        long csd = returnCs(cs);
        s.rip = target(rip, csd);
        seg.load(Segments.CS, cs, csd);
        g[CpuState.RSP] = sp + 2L * n + i.imm;
    }

    /**
     * Checks the CS an IRET or far return loads: a 64-bit or compatibility-mode code segment at the selector's
     * RPL (0 or 3, not above CPL); returns its descriptor.
     */
    private long returnCs(int cs) {
        int rpl = cs & 3;
        if (rpl < s.cpl || rpl == 1 || rpl == 2) {
            throw new GuestFault(GP, cs & ~3, "return to CS 0x" + Integer.toHexString(cs) + " from CPL " + s.cpl);
        }
        long d = delivery.codeDescriptor(cs, 0, true);
        int dpl = (int) (d >>> 45) & 3;
        boolean conforming = (d & (1L << 42)) != 0;
        if (conforming ? dpl > rpl : dpl != rpl) {
            throw new GuestFault(GP, cs & ~3, "return to CS 0x" + Integer.toHexString(cs) + " with descriptor DPL " + dpl);
        }
        return d;
    }

    /** A return address: canonical for 64-bit code, within the segment's limit for compatibility mode. */
    private static long target(long rip, long csd) {
        if ((csd & (1L << 53)) == 0 && rip > Segments.descLimit(csd)) {
            throw new GuestFault(GP, 0, "return address 0x" + Long.toHexString(rip) + " is beyond the code segment's limit");
        }
        if (((rip << 16) >> 16) != rip) {
            throw new GuestFault(GP, 0, "return address 0x" + Long.toHexString(rip) + " is not canonical");
        }
        return rip;
    }

    /**
     * Sets RFLAGS from a popped value: {@code always} bits, IF when CPL &lt;= IOPL, IOPL at CPL0. TF stays
     * clear (single-stepping is not implemented), as do RF and VM.
     */
    void setFlags(long v, long always) {
        long mask = always;
        long iopl = (s.rflags & CpuState.IOPL) >>> 12;
        if (s.cpl <= iopl) {
            mask |= CpuState.IF;
        }
        if (s.cpl == 0) {
            mask |= CpuState.IOPL;
        }
        s.rflags = (s.rflags & ~mask) | (v & mask) | 2;
    }

    /** The RFLAGS bits POPF may change at the current privilege. */
    long popfMask() {
        long mask = CpuState.CF | CpuState.PF | CpuState.AF | CpuState.ZF | CpuState.SF | CpuState.DF | CpuState.OF
                | CpuState.NT | CpuState.AC | CpuState.ID;
        if (s.cpl <= ((s.rflags & CpuState.IOPL) >>> 12)) {
            mask |= CpuState.IF;
        }
        if (s.cpl == 0) {
            mask |= CpuState.IOPL;
        }
        return mask;
    }

    private void enterCpl(int cpl) {
        s.cpl = cpl;
        mem.setUser(cpl == 3);
    }

    private int syscall(Insn i) {
        if ((s.efer & CpuState.EFER_SCE) == 0) {
            throw GuestFault.ud("SYSCALL with EFER.SCE clear at rip 0x" + Long.toHexString(i.rip));
        }
        g[CpuState.RCX] = i.next;
        g[11] = s.rflags & ~CpuState.RF;
        s.rflags = (s.rflags & ~(s.fmask | CpuState.RF)) | 2;
        int sel = (int) (s.star >>> 32) & 0xfffc;
        seg.loadFlat64Code(sel, 0); // SYSCALL loads fixed flat caches, whatever the GDT says
        seg.loadFlatData(Segments.SS, sel + 8, 0);
        enterCpl(0);
        s.rip = s.lstar;
        return Operands.JUMPED;
    }

    private void sysret(Insn i) {
        if ((s.efer & CpuState.EFER_SCE) == 0) {
            throw GuestFault.ud("SYSRET with EFER.SCE clear at rip 0x" + Long.toHexString(i.rip));
        }
        privileged(i);
        long rip = g[CpuState.RCX];
        if (i.size == 4) {
            rip &= 0xffffffffL; // SYSRETL: to compatibility mode
        } else if (((rip << 16) >> 16) != rip) {
            throw GuestFault.gp("SYSRET to non-canonical 0x" + Long.toHexString(rip));
        }
        int base = (int) (s.star >>> 48) & 0xffff;
        s.rflags = (g[11] & 0x3c7fd7L & ~CpuState.TF) | 2;
        if (i.size == 8) {
            seg.loadFlat64Code((base + 16) | 3, 3);
        } else {
            seg.set(Segments.CS, base | 3, 0, 0xffffffffL, Segments.P | Segments.S | Segments.CODE | Segments.RW | Segments.A
                    | Segments.DB | Segments.G | (3 << 5));
        }
        seg.loadFlatData(Segments.SS, (base + 8) | 3, 3);
        s.rip = rip;
        enterCpl(3);
    }

    void writeCr0(long v) {
        if ((v & ~CR0_WRITABLE) != 0) {
            throw GuestFault.gp("CR0 value 0x" + Long.toHexString(v) + " sets reserved bits");
        }
        if ((v & CpuState.CR0_NW) != 0 && (v & CpuState.CR0_CD) == 0) {
            throw GuestFault.gp("CR0 value 0x" + Long.toHexString(v) + " sets NW without CD");
        }
        ModeControl.writeCr0(s, seg, v | CpuState.CR0_ET); // PE, PG and long mode activation
        mem.flush();
    }

    void writeCr4(long v) {
        if ((v & ~CR4_WRITABLE) != 0) {
            throw GuestFault.gp("CR4 value 0x" + Long.toHexString(v) + " sets bits this CPU does not have");
        }
        if ((v & CpuState.CR4_PAE) == 0 && (s.efer & CpuState.EFER_LMA) != 0) {
            throw GuestFault.gp("CR4 value 0x" + Long.toHexString(v) + " clears PAE in long mode");
        }
        s.cr4 = v;
        mem.flush();
    }

    private long readMsr(int msr) {
        return switch (msr) {
            case MSR_TSC -> x.tsc();
            case MSR_MTRRCAP, MSR_MCG_CAP, MSR_MCG_STATUS -> 0;
            case MSR_SYSENTER_CS -> s.sysenterCs;
            case MSR_SYSENTER_ESP -> s.sysenterEsp;
            case MSR_SYSENTER_EIP -> s.sysenterEip;
            case MSR_MISC_ENABLE -> MISC_ENABLE;
            case MSR_PAT -> s.pat;
            case MSR_MTRR_DEF_TYPE -> s.mtrrDefType;
            case MSR_EFER -> s.efer;
            case MSR_STAR -> s.star;
            case MSR_LSTAR -> s.lstar;
            case MSR_CSTAR -> s.cstar;
            case MSR_FMASK -> s.fmask;
            case MSR_FS_BASE -> s.fsBase;
            case MSR_GS_BASE -> s.gsBase;
            case MSR_KERNEL_GS_BASE -> s.kernelGsBase;
            case MSR_TSC_AUX -> s.tscAux;
            default -> msrs.read(msr);
        };
    }

    private void writeMsr(int msr, long v) {
        switch (msr) {
            case MSR_TSC -> x.setTsc(v);
            case MSR_MISC_ENABLE, MSR_MCG_STATUS -> { } // accepted, no effect
            case MSR_SYSENTER_CS -> s.sysenterCs = v & 0xffff;
            case MSR_SYSENTER_ESP -> s.sysenterEsp = canonical(msr, v);
            case MSR_SYSENTER_EIP -> s.sysenterEip = canonical(msr, v);
            case MSR_PAT -> s.pat = v;
            case MSR_MTRR_DEF_TYPE -> s.mtrrDefType = v;
            case MSR_EFER -> {
                ModeControl.writeEfer(s, v, EFER_WRITABLE); // LMA is read-only; LME fixed while paging is on
                mem.flush();
            }
            case MSR_STAR -> s.star = v;
            case MSR_LSTAR -> s.lstar = canonical(msr, v);
            case MSR_CSTAR -> s.cstar = canonical(msr, v);
            case MSR_FMASK -> s.fmask = v & 0xffffffffL;
            case MSR_FS_BASE -> s.fsBase = canonical(msr, v);
            case MSR_GS_BASE -> s.gsBase = canonical(msr, v);
            case MSR_KERNEL_GS_BASE -> s.kernelGsBase = canonical(msr, v);
            case MSR_TSC_AUX -> s.tscAux = v & 0xffffffffL;
            default -> msrs.write(msr, v);
        }
    }

    private static long canonical(int msr, long v) {
        if (((v << 16) >> 16) != v) {
            throw GuestFault.gp("WRMSR 0x" + Integer.toHexString(msr) + " with non-canonical 0x" + Long.toHexString(v));
        }
        return v;
    }
}
