package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.Alu;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.translate.SharedTranslations;
import dev.corral.engine.cpu.translate.TranslationPolicy;

/**
 * The translated tier against the interpreter on the same code: results, flags, faults at the exact
 * instruction, self-modifying code, and the statistics that show which tier ran. (The differential suite and
 * the regression vectors run every case in both tiers as well; the whole CPU test suite also runs once more
 * with {@code corral.cpu.translate=always}.)
 */
class TranslatorTest {

    private static final long CODE = 0x10000, DATA = 0x18000, STACK = 0x1f000;

    /** A fresh CPU with {@code code} at CODE followed by HLT. */
    private static Cpu cpu(Cpu.Translation mode, FlatMemory mem, int... code) {
        mem.load(CODE, code);
        mem.load(CODE + code.length, 0xf4);
        CpuState st = new CpuState();
        st.rip = CODE;
        st.gpr[CpuState.RSP] = STACK;
        return new Cpu(st, mem).translation(mode);
    }

    /** Sum of 1..1000 in a loop: mov ecx,1000; xor eax,eax; L: add rax,rcx; dec rcx; jnz L; hlt. */
    private static final int[] LOOP = CpuTestSupport.hex("b9 e8 03 00 00 31 c0 48 01 c8 48 ff c9 75 f8");

    @Test
    void hotLoopRunsTranslatedWithTheInterpretersResult() {
        for (Cpu.Translation mode : Cpu.Translation.values()) {
            Cpu cpu = cpu(mode, new FlatMemory(CODE, 0x10000), LOOP);
            if (mode == Cpu.Translation.ON) { // translated on this thread, so that the loop surely runs translated
                cpu.translation(new TranslationPolicy(true, 64, false, false, 1 << 20));
            }
            CpuExit exit = cpu.run(1_000_000);
            assertThat(exit).as("%s", mode).isInstanceOf(CpuExit.Halt.class);
            assertThat(cpu.state().gpr[0]).as("%s", mode).isEqualTo(500_500);
            assertThat(cpu.state().rflags & (CpuState.ZF | CpuState.CF)).as("%s: ZF from the last DEC, CF kept", mode)
                    .isEqualTo(CpuState.ZF);
            assertThat(cpu.retired()).as("%s", mode).isEqualTo(2 + 3 * 1000 + 1);
            CpuStats stats = cpu.stats();
            switch (mode) {
                case OFF -> assertThat(stats.translated()).isZero();
                case ON -> assertThat(stats.translated()).as("the loop got hot").isGreaterThan(2000);
                case ALWAYS -> assertThat(stats.interpreted()).as("nothing interpreted: %s", stats).isZero();
            }
            assertThat(stats.interpreted() + stats.translated()).isEqualTo(cpu.retired());
        }
    }

    /**
     * TZCNT, BT, BTS and COMISD, translated, leave what the interpreter leaves, from a block entered with the flags
     * of the block before still lazy in the state (an ADD's, whose ZF and CF the comparison must replace, not keep).
     */
    @Test
    void bitScansBitTestsAndComparisonsOfDoublesReplaceTheFlagsTheBlockBeforeLeftLazy() {
        // add rax,rbx; jmp rdx (to the next instruction: the flags leave the block lazy) | comisd xmm0,xmm1; pushfq;
        // pop rcx; tzcnt rdx,rsi; pushfq; pop r8; tzcnt di,si; bt rbx,rax; bts r9,5; pushfq; pop r10
        int[] code = CpuTestSupport.hex("48 01 d8 ff e2 66 0f 2f c1 9c 59 f3 48 0f bc d6 9c 41 58 66 f3 0f bc fe 48 0f a3 c3"
                + " 49 0f ba e9 05 9c 41 5a");
        String[] outcome = new String[3];
        for (Cpu.Translation mode : Cpu.Translation.values()) {
            Cpu cpu = cpu(mode, new FlatMemory(CODE, 0x10000), code);
            CpuState st = cpu.state();
            st.gpr[CpuState.RAX] = 5;
            st.gpr[CpuState.RBX] = -5;
            st.gpr[CpuState.RDX] = CODE + 5;
            st.gpr[CpuState.RDI] = -1;
            st.xmm[0] = Double.doubleToRawLongBits(1.0);
            st.xmm[2] = Double.doubleToRawLongBits(2.0);
            assertThat(cpu.run(100)).as("%s", mode).isInstanceOf(CpuExit.Halt.class);
            assertThat(st.gpr[CpuState.RCX] & Alu.ARITH).as("%s: 1.0 below 2.0, the ADD's ZF gone", mode).isEqualTo(CpuState.CF);
            assertThat(st.gpr[CpuState.RDX]).as("%s: no bit set in 64", mode).isEqualTo(64);
            assertThat(st.gpr[8] & Alu.ARITH).as("%s: a zero source sets CF", mode).isEqualTo(CpuState.CF);
            assertThat(st.gpr[CpuState.RDI]).as("%s: 16 in the low word, the rest kept", mode).isEqualTo(0xffffffffffff0010L);
            assertThat(st.gpr[9]).as("%s: bit 5 set", mode).isEqualTo(0x20);
            assertThat(st.gpr[10] & Alu.ARITH).as("%s: BTS found bit 5 clear", mode).isZero();
            st.materializeFlags(); // nothing of the ADD's may be left to compute
            assertThat(st.rflags & Alu.ARITH).as("%s: the flags at the end", mode).isZero();
            outcome[mode.ordinal()] = Arrays.toString(st.gpr) + " flags " + Long.toHexString(st.rflags) + " retired " + cpu.retired();
        }
        assertThat(outcome[1]).isEqualTo(outcome[0]);
        assertThat(outcome[2]).isEqualTo(outcome[0]);
    }

    /**
     * SHLD into memory that may be read but not written faults at its store: the instruction leaves nothing, the
     * flags of the CMP before it (lazy in the state, from the block before) included.
     */
    @Test
    void aDoubleShiftWhoseStoreFaultsLeavesTheFlagsItFound() {
        // cmp rax,rcx; jmp rdx (to the next instruction) | shld [rbx],rax,4 (the read-only code page)
        int[] code = CpuTestSupport.hex("48 39 c8 ff e2 48 0f a4 03 04");
        String[] outcome = new String[3];
        for (Cpu.Translation mode : Cpu.Translation.values()) {
            FlatMemory mem = new FlatMemory(CODE, 0x10000);
            Cpu cpu = cpu(mode, mem, code);
            mem.readOnlyBelow = 0x1000;
            CpuState st = cpu.state();
            st.gpr[CpuState.RAX] = 1;
            st.gpr[CpuState.RCX] = 2;
            st.gpr[CpuState.RDX] = CODE + 5;
            st.gpr[CpuState.RBX] = CODE;
            CpuExit exit = cpu.run(100);
            assertThat(exit).as("%s", mode).isInstanceOf(CpuExit.Fault.class);
            assertThat(st.rip).as("%s: at the SHLD", mode).isEqualTo(CODE + 5);
            st.materializeFlags();
            assertThat(st.rflags & Alu.ARITH).as("%s: 1 - 2's flags", mode)
                    .isEqualTo(CpuState.CF | CpuState.SF | CpuState.AF | CpuState.PF);
            outcome[mode.ordinal()] = exit + " flags " + Long.toHexString(st.rflags) + " code " + Long.toHexString(mem.read64(CODE));
        }
        assertThat(outcome[1]).isEqualTo(outcome[0]);
        assertThat(outcome[2]).isEqualTo(outcome[0]);
    }

    /**
     * A string move the translated code leaves to the interpreter faults half way: the registers show the bytes it
     * moved (the interpreter's own, exact state), not the values the translated code held for them before the call.
     */
    @Test
    void aStringMoveThatFaultsHalfWayAfterTranslatedCodeSetItsRegistersShowsTheBytesMoved() {
        // L: mov ecx,32; lea rsi,[rbx]; mov rdi,rdx; rep movsb (8 bytes fit below the end of memory, the ninth
        // faults); jmp L (a block that loops on itself: its registers live in locals)
        int[] code = CpuTestSupport.hex("b9 20 00 00 00 48 8d 33 48 89 d7 f3 a4 eb f1");
        String[] outcome = new String[3];
        for (Cpu.Translation mode : Cpu.Translation.values()) {
            FlatMemory mem = new FlatMemory(CODE, 0x10000);
            Cpu cpu = cpu(mode, mem, code);
            CpuState st = cpu.state();
            st.gpr[CpuState.RBX] = DATA;
            st.gpr[CpuState.RDX] = CODE + 0x10000 - 8;
            CpuExit exit = cpu.run(100);
            assertThat(exit).as("%s", mode).isInstanceOf(CpuExit.Fault.class);
            assertThat(st.rip).as("%s: at the MOVSB", mode).isEqualTo(CODE + 11);
            assertThat(st.gpr[CpuState.RCX]).as("%s: 8 of 32 moved", mode).isEqualTo(24);
            assertThat(st.gpr[CpuState.RSI]).as("%s", mode).isEqualTo(DATA + 8);
            assertThat(st.gpr[CpuState.RDI]).as("%s", mode).isEqualTo(CODE + 0x10000);
            outcome[mode.ordinal()] = exit + " " + Arrays.toString(st.gpr) + " retired " + cpu.retired();
        }
        assertThat(outcome[1]).isEqualTo(outcome[0]);
        assertThat(outcome[2]).isEqualTo(outcome[0]);
    }

    @Test
    void aLoopOfOneBlockStopsExactlyWhereTheBudgetEnds() {
        for (int budget : new int[] {1, 2, 3, 4, 5, 7, 11, 13, 100, 1001, 2999}) {
            String[] outcome = new String[3];
            for (Cpu.Translation mode : Cpu.Translation.values()) {
                Cpu cpu = cpu(mode, new FlatMemory(CODE, 0x10000), LOOP);
                cpu.translation(new TranslationPolicy(mode != Cpu.Translation.OFF, mode == Cpu.Translation.ON ? 2 : 1,
                        mode == Cpu.Translation.ALWAYS, false, 1 << 20));
                cpu.run(10); // the loop's block is hot (and translated) before the measured run
                CpuExit exit = cpu.run(budget);
                CpuState st = cpu.state();
                outcome[mode.ordinal()] = exit.getClass().getSimpleName() + " retired " + cpu.retired() + " rip "
                        + Long.toHexString(st.rip) + " rax " + st.gpr[0] + " rcx " + st.gpr[1] + " flags "
                        + Long.toHexString(st.rflags);
            }
            assertThat(outcome[1]).as("budget %d", budget).isEqualTo(outcome[0]);
            assertThat(outcome[2]).as("budget %d", budget).isEqualTo(outcome[0]);
        }
    }

    @Test
    void aFaultInTheMiddleOfATranslatedBlockLeavesTheStateOfTheFaultingInstruction() {
        // mov eax,5; cmp rax,3; mov [rbx],rax (rbx unmapped); inc rax
        int[] code = CpuTestSupport.hex("b8 05 00 00 00 48 83 f8 03 48 89 03 48 ff c0");
        for (Cpu.Translation mode : Cpu.Translation.values()) {
            Cpu cpu = cpu(mode, new FlatMemory(CODE, 0x10000), code);
            cpu.state().gpr[CpuState.RBX] = 0x900000;
            cpu.state().rflags |= CpuState.CF | CpuState.ZF; // the CMP must clear both
            CpuExit exit = cpu.run(100);
            assertThat(exit).as("%s", mode).isInstanceOf(CpuExit.Fault.class);
            assertThat(((CpuExit.Fault) exit).vector()).isEqualTo(CpuExit.Fault.PF);
            assertThat(cpu.state().rip).as("%s: rip at the store", mode).isEqualTo(CODE + 9);
            assertThat(cpu.state().gpr[0]).isEqualTo(5);
            assertThat(cpu.state().rflags & Alu.ARITH).as("%s: the CMP's flags", mode).isEqualTo(0);
            assertThat(cpu.retired()).as("%s", mode).isEqualTo(2);
        }
    }

    @Test
    void nonCanonicalAddressesFaultLikeTheInterpreterSays() {
        // inc rcx; mov rax,[rbx] with rbx non-canonical: #GP at the load, after the INC
        int[] load = CpuTestSupport.hex("48 ff c1 48 8b 03");
        // inc rcx; push rax with rsp non-canonical: #SS at the push
        int[] push = CpuTestSupport.hex("48 ff c1 50");
        for (Cpu.Translation mode : Cpu.Translation.values()) {
            Cpu cpu = cpu(mode, new FlatMemory(CODE, 0x10000), load);
            cpu.state().gpr[CpuState.RBX] = 0x0000_8000_0000_0000L;
            CpuExit exit = cpu.run(100);
            assertThat(((CpuExit.Fault) exit).vector()).as("%s", mode).isEqualTo(CpuExit.Fault.GP);
            assertThat(cpu.state().rip).isEqualTo(CODE + 3);
            assertThat(cpu.state().gpr[CpuState.RCX]).isEqualTo(1);
            cpu = cpu(mode, new FlatMemory(CODE, 0x10000), push);
            cpu.state().gpr[CpuState.RSP] = 0x0000_8000_0000_0010L;
            exit = cpu.run(100);
            assertThat(((CpuExit.Fault) exit).vector()).as("%s", mode).isEqualTo(CpuExit.Fault.SS);
            assertThat(cpu.state().rip).isEqualTo(CODE + 3);
            assertThat(cpu.state().gpr[CpuState.RSP]).isEqualTo(0x0000_8000_0000_0010L);
        }
    }

    @Test
    void aWriteIntoTheRunningTranslatedBlockTakesEffectFromTheNextInstruction() {
        // mov byte [rip+1], 0x90... : lea rdi,[rip+patch]; mov byte [rdi],0x40 (inc eax -> 0x40? no: patch imm)
        // mov eax,1; mov byte [rel imm_of_next_add], 7; add eax, 1 (imm patched to 7); hlt -> eax = 8
        // 10000: b8 01 00 00 00          mov eax,1
        // 10005: c6 05 02 00 00 00 07    mov byte [rip+2], 7   (rip after = 0x1000c, target 0x1000e)
        // 1000c: 83 c0 01                add eax, 1            (imm byte at 0x1000e)
        int[] code = CpuTestSupport.hex("b8 01 00 00 00 c6 05 02 00 00 00 07 83 c0 01");
        for (Cpu.Translation mode : Cpu.Translation.values()) {
            Cpu cpu = cpu(mode, new FlatMemory(CODE, 0x10000), code);
            CpuExit exit = cpu.run(100);
            assertThat(exit).as("%s", mode).isInstanceOf(CpuExit.Halt.class);
            assertThat(cpu.state().gpr[0]).as("%s: the patched ADD ran", mode).isEqualTo(8);
        }
    }

    @Test
    void aSpentBudgetDropsEveryTranslationAndTheCodeIsTranslatedAgain() {
        // three loops one after the other under a budget that no translation fits: each one evicts them all
        int[] three = CpuTestSupport.hex("b9 e8 03 00 00 31 c0 48 01 c8 48 ff c9 75 f8"
                + " b9 e8 03 00 00 48 01 c8 48 ff c9 75 f8 b9 e8 03 00 00 48 01 c8 48 ff c9 75 f8");
        Cpu cpu = cpu(Cpu.Translation.ON, new FlatMemory(CODE, 0x10000), three) // (not strict: no eager regions)
                .translation(new TranslationPolicy(true, 8, false, false, 1));
        assertThat(cpu.run(1_000_000)).isInstanceOf(CpuExit.Halt.class);
        assertThat(cpu.state().gpr[0]).isEqualTo(3 * 500_500);
        CpuStats stats = cpu.stats();
        assertThat(stats.evictions()).as("%s", stats).isGreaterThanOrEqualTo(2);
        assertThat(stats.translated()).as("translations made again after each eviction: %s", stats).isGreaterThan(0);
    }

    @Test
    void translationsAreUnloadedWhenTheirCpuIsGone() {
        long budget = SharedTranslations.budget(0); // none held: every vCPU loads classes of its own
        try {
            var classes = java.lang.management.ManagementFactory.getClassLoadingMXBean();
            System.gc();
            long loaded = classes.getLoadedClassCount();
            long made = 0;
            for (int vm = 0; vm < 1_000; vm++) { // a thousand short-lived vCPUs, each with its own translations
                Cpu cpu = cpu(Cpu.Translation.ALWAYS, new FlatMemory(CODE, 0x10000), LOOP);
                cpu.run(1_000_000);
                made += cpu.stats().blocksTranslated();
                assertThat(cpu.stats().translationsReused()).isZero();
            }
            assertThat(made).isGreaterThanOrEqualTo(1_000);
            long after = classes.getLoadedClassCount();
            assertThat(after - loaded).as("the translations were loaded as classes").isGreaterThan(200);
            for (int k = 0; k < 20 && after > loaded + 200; k++) { // hidden classes go with a full collection
                System.gc();
                after = classes.getLoadedClassCount();
            }
            assertThat(after - loaded).as("classes still loaded of %d translations made", made).isLessThan(200);
        } finally {
            SharedTranslations.budget(budget);
        }
    }

    @Test
    void aThousandVcpusRunningTheSameCodeShareItsClassesAndTheSharedOnesStayUnderTheirBudget() {
        var classes = java.lang.management.ManagementFactory.getClassLoadingMXBean();
        long loaded = classes.getLoadedClassCount();
        long made = 0, reused = 0;
        for (int vm = 0; vm < 1_000; vm++) {
            Cpu cpu = cpu(Cpu.Translation.ALWAYS, new FlatMemory(CODE, 0x10000), LOOP);
            cpu.run(1_000_000);
            assertThat(cpu.state().gpr[0]).isEqualTo(500_500);
            made += cpu.stats().blocksTranslated();
            reused += cpu.stats().translationsReused();
        }
        assertThat(reused).as("of %d translations", made).isGreaterThanOrEqualTo(made - 10);
        assertThat(classes.getLoadedClassCount() - loaded).as("classes loaded for %d translations", made).isLessThan(100);

        long budget = SharedTranslations.budget(16 << 10);
        try {
            for (int vm = 0; vm < 200; vm++) { // 200 different loops (their counts differ): a class each
                int[] loop = LOOP.clone();
                loop[1] = vm;
                loop[2] = 0x10;
                Cpu cpu = cpu(Cpu.Translation.ALWAYS, new FlatMemory(CODE, 0x10000), loop);
                cpu.run(1_000_000);
                assertThat(cpu.state().gpr[0]).isEqualTo((0x1000L + vm) * (0x1000 + vm + 1) / 2);
                assertThat(SharedTranslations.bytesHeld()).isLessThanOrEqualTo(16 << 10);
            }
            assertThat(SharedTranslations.classesHeld()).isPositive();
        } finally {
            SharedTranslations.budget(budget);
        }
    }

    /**
     * A kernel moved by KASLR: its code names its own data by absolute addresses (sign-extended immediates and
     * displacements), which move with it. The moved copy runs the class of the first, with its own addresses; a
     * constant that is not near the code (a mask) stays a constant, and code below 4 GiB keeps its constants as they are.
     * A per-CPU variable, read RIP-relative through GS, lies at a small fixed offset that KASLR does not move: its
     * displacement changes with the code's place, its address does not, and the class is shared all the same.
     */
    @Test
    void aKernelMovedByKaslrSharesItsClassesAndReadsItsOwnData() {
        long[] bases = {0xffffffff81000000L, 0xffffffff83400000L};
        Cpu[] cpus = new Cpu[bases.length];
        for (int n = 0; n < bases.length; n++) {
            long base = bases[n], data = base + 0x100;
            int d0 = (int) data, d1 = (int) (data >>> 8), d2 = (int) (data >>> 16), d3 = (int) (data >>> 24);
            int perCpu = (int) (0x40 - (base + 8)); // the per-CPU offset 0x40, from the end of the first instruction
            // mov rsi, gs:[rip + perCpu]; mov rax, data (imm32 sign-extended); mov rbx, [data] (absolute disp32);
            // add rax, data; push data; pop rcx; and rdx, -4096; hlt
            int[] code = {0x65, 0x48, 0x8b, 0x35, perCpu & 0xff, (perCpu >>> 8) & 0xff, (perCpu >>> 16) & 0xff, perCpu >>> 24,
                0x48, 0xc7, 0xc0, d0 & 0xff, d1 & 0xff, d2 & 0xff, d3 & 0xff,
                0x48, 0x8b, 0x1c, 0x25, d0 & 0xff, d1 & 0xff, d2 & 0xff, d3 & 0xff,
                0x48, 0x05, d0 & 0xff, d1 & 0xff, d2 & 0xff, d3 & 0xff,
                0x68, d0 & 0xff, d1 & 0xff, d2 & 0xff, d3 & 0xff, 0x59,
                0x48, 0x81, 0xe2, 0x00, 0xf0, 0xff, 0xff, 0xf4};
            var mem = new FlatMemory(base, 0x10000);
            mem.load(base, code);
            mem.load(data, 0x10 + n, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80);
            mem.load(base + 0x2040, 0xa0 + n, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x01, 0x02);
            CpuState st = new CpuState();
            st.rip = base;
            st.gsBase = base + 0x2000;
            st.gpr[CpuState.RSP] = base + 0xf000;
            st.gpr[CpuState.RDX] = 0x123456789L;
            cpus[n] = new Cpu(st, mem).translation(Cpu.Translation.ALWAYS);
            assertThat(cpus[n].run(100)).isInstanceOf(CpuExit.Halt.class);
            assertThat(st.gpr[CpuState.RAX]).as("data + data").isEqualTo(data + data);
            assertThat(st.gpr[CpuState.RBX]).as("read through the absolute displacement").isEqualTo(0x8070605040302010L + n);
            assertThat(st.gpr[CpuState.RCX]).as("pushed and popped").isEqualTo(data);
            assertThat(st.gpr[CpuState.RDX]).as("the mask stays a mask").isEqualTo(0x123456000L);
            assertThat(st.gpr[CpuState.RSI]).as("this CPU's variable").isEqualTo(0x0201f0e0d0c0b0a0L + n);
        }
        CpuStats moved = cpus[1].stats();
        assertThat(moved.translationsReused()).as("%s", moved).isEqualTo(moved.blocksTranslated()).isPositive();
    }

    /**
     * The same code at another address (a kernel that KASLR placed elsewhere, a second VM) runs the class loaded for
     * the first copy, with its own addresses: a RIP-relative load reads the copy's own data and CALL pushes the copy's
     * own return address. Code that differs in one byte gets a class of its own.
     */
    @Test
    void theSameCodeElsewhereRunsTheClassAlreadyLoadedWithItsOwnAddresses() {
        // 00: mov rax,[rip+0xf9] (the quadword at 0x100); 07: call 0e; 0c: hlt; 0d: nop; 0e: mov rbx,[rsp]; 12: ret
        int[] code = CpuTestSupport.hex("48 8b 05 f9 00 00 00 e8 02 00 00 00 f4 90 48 8b 1c 24 c3");
        long[] bases = {0x30000, 0x250000, 0x7f0000};
        Cpu[] cpus = new Cpu[bases.length];
        for (int n = 0; n < bases.length; n++) {
            long base = bases[n];
            var mem = new FlatMemory(base, 0x10000);
            int[] copy = code.clone();
            if (n == 2) {
                copy[3] = 0xfa; // mov rax,[rip+0xfa] (the quadword at 0x101): one byte differs
            }
            mem.load(base, copy);
            mem.load(base + 0x100, 0x11 * (n + 1), 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99 * (n + 1));
            CpuState st = new CpuState();
            st.rip = base;
            st.gpr[CpuState.RSP] = base + 0xf000;
            cpus[n] = new Cpu(st, mem).translation(Cpu.Translation.ALWAYS);
            assertThat(cpus[n].run(100)).isInstanceOf(CpuExit.Halt.class);
            assertThat(st.gpr[CpuState.RBX]).as("the return address CALL pushed").isEqualTo(base + 0x0c);
            assertThat(st.rip).isEqualTo(base + 0x0d);
            assertThat(st.gpr[CpuState.RSP]).isEqualTo(base + 0xf000);
        }
        assertThat(cpus[0].state().gpr[0]).isEqualTo(0x8877665544332211L);
        assertThat(cpus[1].state().gpr[0]).as("the second copy's own data").isEqualTo(0x8877665544332222L);
        assertThat(cpus[2].state().gpr[0]).as("read one byte further").isEqualTo(0xcb88776655443322L);
        CpuStats second = cpus[1].stats(), third = cpus[2].stats();
        assertThat(second.translationsReused()).as("%s", second).isEqualTo(second.blocksTranslated()).isPositive();
        assertThat(third.translationsReused()).as("the changed block got a class of its own: %s", third)
                .isLessThan(third.blocksTranslated());
    }

    /**
     * Seeded random straight-line integer code (the instructions the translator compiles itself, with memory
     * operands in a data page and flags read by SETcc, CMOVcc and ADC) runs identically in both tiers.
     */
    @Test
    void randomIntegerCodeRunsTheSameInBothTiers() {
        long seed = Long.getLong("translator.seed", 20261206L);
        Random rnd = new Random(seed);
        for (int round = 0, rounds = Integer.getInteger("translator.rounds", 1500); round < rounds; round++) {
            byte[] program = randomProgram(rnd);
            long[] regs = new long[16];
            for (int r = 0; r < 16; r++) {
                regs[r] = rnd.nextInt(4) == 0 ? rnd.nextLong() : rnd.nextInt(300) - 150;
            }
            long flags = 0x202 | (rnd.nextInt(64) & (CpuState.CF | CpuState.ZF | CpuState.SF));
            byte[] data = new byte[256];
            rnd.nextBytes(data);
            String[] outcomes = new String[3];
            for (Cpu.Translation mode : Cpu.Translation.values()) {
                FlatMemory mem = new FlatMemory(CODE, 0x10000);
                Cpu cpu = randomCpu(mode, mem, program, data, regs);
                CpuState st = cpu.state();
                st.rflags = flags;
                CpuExit exit = null;
                for (int rep = 0; rep < 3; rep++) { // the same code three times, so ON translates it too
                    st.rip = CODE;
                    exit = cpu.run(10_000);
                }
                long[] out = new long[256 / 8];
                for (int k = 0; k < out.length; k++) {
                    out[k] = mem.read64(DATA + 8L * k);
                }
                outcomes[mode.ordinal()] = exit.getClass().getSimpleName() + " rip " + Long.toHexString(st.rip) + " flags "
                        + Long.toHexString(st.rflags) + " regs " + Arrays.toString(st.gpr) + " data " + Arrays.toString(out);
            }
            assertThat(outcomes[2]).as("seed %d round %d, code %s", seed, round, hexOf(program)).isEqualTo(outcomes[0]);
            assertThat(outcomes[1]).as("seed %d round %d, code %s", seed, round, hexOf(program)).isEqualTo(outcomes[0]);
        }
    }

    /**
     * Seeded random loops of several blocks (an if/else in the body, a counter in R15, random integer code in every
     * block, memory operands included) run in chunks of random budgets: the tiers agree on every register, flag,
     * byte of data and retired count, while the translated tiers run the loop's blocks as one region (internal jumps
     * checked for budget and validity).
     */
    @Test
    void randomLoopsOfSeveralBlocksRunTheSameInBothTiers() {
        long seed = Long.getLong("translator.seed", 20261206L);
        Random rnd = new Random(seed);
        int joined = 0;
        int rounds = Integer.getInteger("translator.loopRounds", 300);
        for (int round = 0; round < rounds; round++) {
            byte[] program = randomLoop(rnd);
            RandomStart start = RandomStart.of(rnd);
            String[] outcomes = new String[4];
            for (int run = 0; run < 4; run++) { // OFF, ON, ALWAYS in chunks of the budgets, ALWAYS in one run
                Cpu.Translation mode = Cpu.Translation.values()[Math.min(run, 2)];
                FlatMemory mem = new FlatMemory(CODE, 0x10000);
                Cpu cpu = randomCpu(mode, mem, program, start.data(), start.regs());
                outcomes[run] = runToEnd(cpu, mem, run, start.budgets(), CpuExit.Halt.class);
                CpuStats stats = cpu.stats();
                if (run == 3) {
                    assertThat(stats.interpreted()).as("nothing interpreted: %s", stats).isZero();
                    if (stats.blocksTranslated() < 5) { // the loop's five blocks in fewer translations
                        joined++;
                    }
                }
            }
            assertThat(outcomes[3]).as("seed %d round %d, code %s", seed, round, hexOf(program)).isEqualTo(outcomes[0]);
            assertThat(outcomes[0]).as("seed %d round %d", seed, round).startsWith("Halt");
            assertThat(outcomes[2]).as("seed %d round %d, code %s", seed, round, hexOf(program)).isEqualTo(outcomes[0]);
            assertThat(outcomes[1]).as("seed %d round %d, code %s", seed, round, hexOf(program)).isEqualTo(outcomes[0]);
        }
        // a region too large for one method is cut down to fewer blocks, so not every round joins them all
        assertThat(joined).as("rounds whose loop ran as one region").isGreaterThan(rounds / 2);
    }

    /**
     * Seeded random code on three pages that call, return and jump between them, so that translations run one
     * another directly (chained exits): two calls to a function on the next page (its return has two targets, so
     * an exit's link is not always right), a jump to a third page that patches the function's code once (the
     * chained exit must not run the old translation) and loops back, and after the loop a load from an unmapped page
     * that faults in a translation entered through a chain (the retired count spans the chain). Run in chunks of
     * random budgets and at once: the tiers agree on every register, flag, byte of data, retired count and fault.
     */
    @Test
    void randomCodeAcrossPagesRunsTheSameInBothTiersWhenTranslationsRunOneAnother() {
        long seed = Long.getLong("translator.seed", 20261206L);
        Random rnd = new Random(seed);
        int rounds = Integer.getInteger("translator.loopRounds", 300) / 3;
        long chained = 0;
        for (int round = 0; round < rounds; round++) {
            int[][] pages = acrossPages(rnd);
            RandomStart start = RandomStart.of(rnd);
            String[] outcomes = new String[4];
            for (int run = 0; run < 4; run++) { // OFF, ON, ALWAYS in chunks of the budgets, ALWAYS in one run
                Cpu.Translation mode = Cpu.Translation.values()[Math.min(run, 2)];
                FlatMemory mem = new FlatMemory(CODE, 0x10000);
                Cpu cpu = randomCpu(mode, mem, new byte[0], start.data(), start.regs());
                for (int p = 0; p < pages.length; p++) {
                    mem.load(CODE + 0x1000L * p, pages[p]);
                }
                outcomes[run] = runToEnd(cpu, mem, run, start.budgets(), CpuExit.Fault.class);
                if (run == 3) {
                    assertThat(cpu.stats().interpreted()).as("nothing interpreted: %s", cpu.stats()).isZero();
                    chained += cpu.stats().chained();
                }
            }
            String code = Arrays.deepToString(pages);
            assertThat(outcomes[0]).as("seed %d round %d", seed, round).contains("vector=14");
            assertThat(outcomes[3]).as("seed %d round %d, code %s", seed, round, code).isEqualTo(outcomes[0]);
            assertThat(outcomes[2]).as("seed %d round %d, code %s", seed, round, code).isEqualTo(outcomes[0]);
            assertThat(outcomes[1]).as("seed %d round %d, code %s", seed, round, code).isEqualTo(outcomes[0]);
        }
        assertThat(chained).as("translations entered from another one's exit").isGreaterThan(rounds * 20L);
    }

    /**
     * {@code page 0: mov r15d,N; L0: call F; body0; call F; body1; jmp L2} · {@code page 1: F: add eax,1; body2; ret} ·
     * {@code page 2: L2: body3; cmp r15d,M; jne +8; mov byte [F+2],7; dec r15; jnz L0; mov rbx,0x900000;
     * mov rax,[rbx]} (a fault: nothing is mapped there), with random integer bodies that leave R15 alone.
     */
    private static int[][] acrossPages(Random rnd) {
        var p0 = new java.io.ByteArrayOutputStream();
        var p1 = new java.io.ByteArrayOutputStream();
        var p2 = new java.io.ByteArrayOutputStream();
        long f = CODE + 0x1000, l2 = CODE + 0x2000;
        int n = 20 + rnd.nextInt(100);
        p0.writeBytes(new byte[] {0x41, (byte) 0xbf, (byte) n, 0, 0, 0});
        long l0 = CODE + p0.size();
        p0.writeBytes(jump(new byte[] {(byte) 0xe8}, (int) (f - (CODE + p0.size() + 5))));
        p0.writeBytes(randomProgram(rnd, 15));
        p0.writeBytes(jump(new byte[] {(byte) 0xe8}, (int) (f - (CODE + p0.size() + 5)))); // F's RET: two targets
        p0.writeBytes(randomProgram(rnd, 15));
        p0.writeBytes(jump(new byte[] {(byte) 0xe9}, (int) (l2 - (CODE + p0.size() + 5))));
        p1.writeBytes(new byte[] {(byte) 0x83, (byte) 0xc0, 0x01});
        p1.writeBytes(randomProgram(rnd, 15));
        p1.write(0xc3);
        p2.writeBytes(randomProgram(rnd, 15));
        p2.writeBytes(new byte[] {0x41, (byte) 0x83, (byte) 0xff, (byte) (1 + rnd.nextInt(n)), 0x75, 0x08});
        p2.writeBytes(new byte[] {(byte) 0xc6, 0x04, 0x25, (byte) (f + 2), (byte) ((f + 2) >> 8), (byte) ((f + 2) >> 16), 0,
            0x07});
        p2.writeBytes(new byte[] {0x49, (byte) 0xff, (byte) 0xcf});
        p2.writeBytes(jump(new byte[] {0x0f, (byte) 0x85}, (int) (l0 - (l2 + p2.size() + 6))));
        p2.writeBytes(new byte[] {0x48, (byte) 0xbb, 0, 0, (byte) 0x90, 0, 0, 0, 0, 0, 0x48, (byte) 0x8b, 0x03});
        return new int[][] {unsigned(p0.toByteArray()), unsigned(p1.toByteArray()), unsigned(p2.toByteArray())};
    }

    private static int[] unsigned(byte[] b) {
        int[] out = new int[b.length];
        for (int k = 0; k < b.length; k++) {
            out[k] = b[k] & 0xff;
        }
        return out;
    }

    /**
     * Round {@code run} of a random test (0 OFF, 1 ON hot after two runs and translated on this thread, 2 ALWAYS, each
     * in chunks of {@code budgets}; 3 ALWAYS at once) until an exit of type {@code end}: the exit and the whole state,
     * as text the tiers must agree on.
     */
    private static String runToEnd(Cpu cpu, FlatMemory mem, int run, int[] budgets, Class<? extends CpuExit> end) {
        if (run == 1) {
            cpu.translation(new TranslationPolicy(true, 2, false, false, 1 << 20));
        }
        CpuState st = cpu.state();
        st.rflags = 0x202;
        CpuExit exit = null;
        for (int k = 0; k < 100_000 && !end.isInstance(exit); k++) {
            exit = cpu.run(run == 3 ? 1_000_000 : budgets[k % budgets.length]);
        }
        long[] out = new long[256 / 8];
        for (int k = 0; k < out.length; k++) {
            out[k] = mem.read64(DATA + 8L * k);
        }
        return exit + " retired " + cpu.retired() + " rip " + Long.toHexString(st.rip) + " flags "
                + Long.toHexString(st.rflags) + " regs " + Arrays.toString(st.gpr) + " data " + Arrays.toString(out);
    }

    /** Random registers, data page and run budgets for one round of the random tests. */
    private record RandomStart(long[] regs, byte[] data, int[] budgets) {
        static RandomStart of(Random rnd) {
            long[] regs = new long[16];
            for (int r = 0; r < 16; r++) {
                regs[r] = rnd.nextInt(4) == 0 ? rnd.nextLong() : rnd.nextInt(300) - 150;
            }
            byte[] data = new byte[256];
            rnd.nextBytes(data);
            int[] budgets = new int[64];
            for (int k = 0; k < budgets.length; k++) {
                budgets[k] = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 400);
            }
            return new RandomStart(regs, data, budgets);
        }
    }

    /** A CPU on {@code program} with {@code data} in the data page, {@code regs}, RSP on the stack and RBP at the data. */
    private static Cpu randomCpu(Cpu.Translation mode, FlatMemory mem, byte[] program, byte[] data, long[] regs) {
        int[] code = new int[program.length];
        for (int k = 0; k < code.length; k++) {
            code[k] = program[k] & 0xff;
        }
        for (int k = 0; k < data.length; k++) {
            mem.write8(DATA + k, data[k]);
        }
        Cpu cpu = cpu(mode, mem, code);
        CpuState st = cpu.state();
        System.arraycopy(regs, 0, st.gpr, 0, 16);
        st.gpr[CpuState.RSP] = STACK;
        st.gpr[CpuState.RBP] = DATA; // the memory operands' base
        return cpu;
    }

    /**
     * {@code mov r15d,N; L0: body0; jcc L1; body1; jmp L2; L1: body2; L2: body3; dec r15; jnz L0} with random
     * integer bodies that leave R15 alone.
     */
    private static byte[] randomLoop(Random rnd) {
        byte[][] body = new byte[4][];
        for (int k = 0; k < 4; k++) {
            body[k] = randomProgram(rnd, 15);
        }
        var out = new java.io.ByteArrayOutputStream();
        int n = 20 + rnd.nextInt(200);
        out.writeBytes(new byte[] {0x41, (byte) 0xbf, (byte) n, (byte) (n >> 8), 0, 0});
        int l0 = out.size();
        out.writeBytes(body[0]);
        int jccAt = out.size();
        int l1 = jccAt + 6 + body[1].length + 5;
        out.writeBytes(jump(new byte[] {0x0f, (byte) (0x80 | rnd.nextInt(16))}, l1 - (jccAt + 6)));
        out.writeBytes(body[1]);
        int jmpAt = out.size();
        int l2 = jmpAt + 5 + body[2].length;
        out.writeBytes(jump(new byte[] {(byte) 0xe9}, l2 - (jmpAt + 5)));
        out.writeBytes(body[2]);
        out.writeBytes(body[3]);
        out.writeBytes(new byte[] {0x49, (byte) 0xff, (byte) 0xcf}); // dec r15
        int jnzAt = out.size();
        out.writeBytes(jump(new byte[] {0x0f, (byte) 0x85}, l0 - (jnzAt + 6)));
        return out.toByteArray();
    }

    private static byte[] jump(byte[] opcode, int rel32) {
        byte[] b = Arrays.copyOf(opcode, opcode.length + 4);
        for (int k = 0; k < 4; k++) {
            b[opcode.length + k] = (byte) (rel32 >> (8 * k));
        }
        return b;
    }

    private static String hexOf(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x ", x & 0xff));
        }
        return sb.toString().trim();
    }

    /**
     * Up to 24 instructions drawn from the integer forms the translator compiles (ADC and SBB among them; RCL and RCR,
     * which it leaves to the interpreter), each sometimes followed by a SETcc that reads its flags.
     */
    private static byte[] randomProgram(Random rnd) {
        return randomProgram(rnd, -1);
    }

    /** {@link #randomProgram(Random)} that leaves register {@code keep} alone. */
    private static byte[] randomProgram(Random rnd, int keep) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int n = 4 + rnd.nextInt(20);
        for (int k = 0; k < n; k++) {
            int reg = pickReg(rnd, keep);
            int rm = pickReg(rnd, keep);
            boolean wide = rnd.nextBoolean();
            boolean memOperand = rnd.nextInt(4) == 0;
            int rex = (wide ? 0x48 : 0x40) | (reg >= 8 ? 4 : 0) | (!memOperand && rm >= 8 ? 1 : 0);
            // ModRM: mem operand = [rbp + disp8] (mod 01, rm 101), disp a multiple of 8 inside the data page
            int modrm = memOperand ? 0x45 | ((reg & 7) << 3) : 0xc0 | ((reg & 7) << 3) | (rm & 7);
            int disp = 8 * rnd.nextInt(30);
            int form = rnd.nextInt(24);
            if (form == 23 && !memOperand) {
                form = 9; // FNSTCW has a memory operand only (D9 /7 on a register is FCOS)
            }
            boolean byteOp = form == 13;
            if (form == 18 && memOperand) { // and reg,0xff; add reg,-128: the bit string stays inside the data page
                int b = reg >= 8 ? 0x41 : 0x40;
                out.writeBytes(new byte[] {(byte) b, (byte) 0x81, (byte) (0xe0 | (reg & 7)), (byte) 0xff, 0, 0, 0});
                out.writeBytes(new byte[] {(byte) (b | 8), (byte) 0x83, (byte) (0xc0 | (reg & 7)), (byte) 0x80});
                disp = Math.max(disp, 16);
            }
            if (form == 20) {
                out.write(0xf3); // TZCNT: the mandatory prefix goes before REX
            }
            if (form != 23 && (!byteOp || rnd.nextBoolean())) { // FNSTCW without REX (its reg field is the opcode)
                out.write(rex);
            }
            switch (form) {
                case 0, 1, 2, 3, 4, 5, 6, 7 -> { // add or adc and sub xor cmp; add r,rm; sometimes sbb rm,r or sbb r,rm
                    int op = new int[] {0x01, 0x09, 0x11, 0x21, 0x29, 0x31, 0x39, 0x03}[form];
                    if ((form == 2 || form == 7) && rnd.nextBoolean()) {
                        op = form == 2 ? 0x19 : 0x1b;
                    }
                    out.write(op);
                }
                case 8 -> out.write(0x85); // test
                case 9 -> out.write(0x89); // mov rm,r
                case 10 -> out.write(0x8b); // mov r,rm
                case 11 -> { // cmovcc r, rm
                    out.write(0x0f);
                    out.write(0x40 | rnd.nextInt(16));
                }
                case 12 -> out.write(0xff); // inc/dec rm (reg field picks: 0 inc, 1 dec)
                case 13 -> out.write(0x00); // add r/m8, r8
                case 14 -> out.write(0xc1); // shift group by imm8 (reg field: the kind)
                case 15 -> out.write(0xd3); // shift group by CL
                case 16 -> { // imul r, rm
                    out.write(0x0f);
                    out.write(0xaf);
                }
                case 18 -> { // bt, bts, btr, btc rm, r: on memory, the register's bit offset reaches past the operand
                    out.write(0x0f);
                    out.write(0xa3 | rnd.nextInt(4) << 3);
                }
                case 19 -> { // bt, bts, btr, btc rm, imm8 (0F BA /4../7)
                    out.write(0x0f);
                    out.write(0xba);
                }
                case 20 -> { // tzcnt r, rm
                    out.write(0x0f);
                    out.write(0xbc);
                }
                case 21 -> { // shld or shrd rm, r, imm8
                    out.write(0x0f);
                    out.write(rnd.nextBoolean() ? 0xa4 : 0xac);
                }
                case 22 -> { // shld or shrd rm, r, cl
                    out.write(0x0f);
                    out.write(rnd.nextBoolean() ? 0xa5 : 0xad);
                }
                case 23 -> out.write(0xd9); // fnstcw m16 (D9 /7)
                default -> out.write(0x6b); // imul r, rm, imm8
            }
            if (form == 12) {
                modrm = (modrm & ~0x38) | (rnd.nextInt(2) << 3);
            }
            if (form == 14 || form == 15) {
                modrm = (modrm & ~0x38) | (rnd.nextInt(8) << 3);
            }
            if (form == 19) {
                modrm = (modrm & ~0x38) | ((4 + rnd.nextInt(4)) << 3);
            }
            if (form == 23) {
                modrm = (modrm & ~0x38) | (7 << 3);
            }
            out.write(modrm);
            if (memOperand) {
                out.write(disp);
            }
            if (form == 14 || form == 17 || form == 19 || form == 21) {
                out.write(rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(256)); // counts past the operand size, and zero
            }
            if (rnd.nextInt(5) == 0) { // setcc r/m8 on a fresh register, reading the flags just set
                out.write(0x0f);
                out.write(0x90 | rnd.nextInt(16));
                out.write(0xc0 | rnd.nextInt(8));
            }
        }
        return out.toByteArray();
    }

    /** Any register but RSP and RBP (the stack and the data base) and {@code keep}. */
    private static int pickReg(Random rnd, int keep) {
        int r;
        do {
            r = rnd.nextInt(16);
        } while (r == 4 || r == 5 || r == keep);
        return r;
    }
}
