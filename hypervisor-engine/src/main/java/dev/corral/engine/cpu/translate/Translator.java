package dev.corral.engine.cpu.translate;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_char;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.CLASS_INIT_NAME;
import static java.lang.constant.ConstantDescs.INIT_NAME;

import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.TypeKind;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.List;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.decode.Op;
import dev.corral.engine.cpu.decode.SseOp;
import dev.corral.engine.cpu.interp.Block;
import dev.corral.engine.cpu.interp.CompiledBlock;
import dev.corral.engine.cpu.interp.Interp;
import dev.corral.engine.cpu.interp.Operands;
import dev.corral.engine.cpu.interp.SseInt;
import dev.corral.engine.cpu.state.Alu;
import dev.corral.engine.cpu.state.CpuMemory;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.LazyFlags;

/**
 * Translates hot blocks of 64-bit guest code into JVM bytecode, one hidden class per block, that HotSpot then
 * compiles like any other method. Integer moves, arithmetic and logic, LEA, compares and tests, conditional
 * moves and sets, pushes, pops and the control transfers are translated into straight bytecode; every other
 * instruction calls the interpreter's handler for it ({@link Interp#exec}), so both tiers share its semantics.
 *
 * <p>Exactness: each translated instruction reads its inputs, performs its single memory write and only then
 * writes registers and flags, as the interpreter's handlers do; an instruction that may fault first stores its index
 * in a local, and the method's one exception handler ({@link #faulted}) sets RIP to that instruction, writes its
 * flags out, records the instructions retired before it and hands the fault on, so a fault in the middle of a block
 * leaves the state of the faulting instruction. Arithmetic flags are lazy ({@link LazyFlags}): a
 * conditional jump after CMP compares the operands directly, and the flags are computed only when an
 * instruction the translator does not know, a fault or the interpreter may observe them. After every memory
 * write and interpreter call the code checks that its block is still valid and stops there if the write hit
 * its own code ({@link #stopped}), so self-modifying code takes effect from the next instruction.
 *
 * <p>Class files are version 49, without stack map frames (computing them was half the translator's time, and most
 * translations find their class loaded already and are never defined); HotSpot verifies them by type inference.
 *
 * <p>Generated methods stay under HotSpot's huge-method limit: a block whose code would be larger is
 * translated up to an instruction boundary and continues from there.
 *
 * <p>Guest addresses in the generated code (and 64-bit constants near kernel code) are its instance's
 * {@link CompiledBlock#origin} plus a constant, so the same code anywhere makes the same class file and
 * {@link SharedTranslations} can hand out the class already loaded.
 */
public final class Translator {

    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    /** HotSpot does not compile methods of more bytecode than this ({@code -XX:-DontCompileHugeMethods} aside). */
    private static final int HUGE_METHOD = 8000;

    private static final ClassDesc CD_INTERP = desc(Interp.class);
    private static final ClassDesc CD_STATE = desc(CpuState.class);
    private static final ClassDesc CD_MEMORY = desc(CpuMemory.class);
    private static final ClassDesc CD_INSN = desc(Insn.class);
    private static final ClassDesc CD_INSNS = CD_INSN.arrayType();
    private static final ClassDesc CD_BLOCK = desc(Block.class);
    private static final ClassDesc CD_BLOCKS = CD_BLOCK.arrayType();
    private static final MethodTypeDesc MT_EPOCH = MethodTypeDesc.of(CD_int);
    private static final ClassDesc CD_COMPILED = desc(CompiledBlock.class);
    private static final ClassDesc CD_LAZY = desc(LazyFlags.class);
    private static final ClassDesc CD_LONGS = CD_long.arrayType();
    private static final ClassDesc CD_LONG_BOX = desc(Long.class);

    private static final MethodTypeDesc MT_INIT = MethodTypeDesc.of(CD_void);
    private static final ClassDesc CD_THREAD_LOCAL = desc(ThreadLocal.class);
    private static final ClassDesc CD_TRANSLATOR = desc(Translator.class);
    private static final MethodTypeDesc MT_RUN = MethodTypeDesc.of(CD_long, CD_INTERP, CD_long);
    private static final MethodTypeDesc MT_NEXT = MethodTypeDesc.of(CD_COMPILED, CD_COMPILED, CD_int, CD_INTERP, CD_long,
            CD_int);
    private static final MethodTypeDesc MT_CHAINED = MethodTypeDesc.of(CD_long, CD_INTERP, CD_long, CD_int);
    private static final MethodTypeDesc MT_INIT_EXITS = MethodTypeDesc.of(CD_void, CD_int);
    private static final MethodTypeDesc MT_ALIGNED = MethodTypeDesc.of(CD_void, CD_long, CD_INSNS, CD_int);
    private static final MethodTypeDesc MT_STORABLE = MethodTypeDesc.of(CD_void, CD_long, CD_int);
    private static final MethodTypeDesc MT_LONG_LONG_LONG = MethodTypeDesc.of(CD_long, CD_long, CD_long);
    private static final MethodTypeDesc MT_TZCNT_FLAGS = MethodTypeDesc.of(CD_long, CD_long, CD_long, CD_long);
    private static final MethodTypeDesc MT_INTERLEAVE = MethodTypeDesc.of(CD_long, CD_long, CD_long, CD_int, CD_boolean);
    private static final MethodTypeDesc MT_SSE_COMPARE = MethodTypeDesc.of(CD_long, CD_INSN, CD_long);
    private static final MethodTypeDesc MT_LONG = MethodTypeDesc.of(CD_long);
    private static final MethodTypeDesc MT_INT = MethodTypeDesc.of(CD_int);
    private static final MethodTypeDesc MT_SHIFT_DOUBLE = MethodTypeDesc.of(CD_long, CD_boolean, CD_int, CD_long, CD_long, CD_int);
    private static final ClassDesc CD_SSE_INT = desc(SseInt.class);
    private static final MethodTypeDesc MT_BIT_COUNT = MethodTypeDesc.of(CD_int, CD_long);
    private static final MethodTypeDesc MT_EXEC = MethodTypeDesc.of(CD_int, CD_INSN);
    private static final MethodTypeDesc MT_COND = MethodTypeDesc.of(CD_int, CD_STATE, CD_int);
    private static final MethodTypeDesc MT_CARRY = MethodTypeDesc.of(CD_long, CD_STATE);
    private static final MethodTypeDesc MT_COMPUTE = MethodTypeDesc.of(CD_long, CD_int, CD_long, CD_long, CD_long, CD_long);
    private static final MethodTypeDesc MT_CANONICAL = MethodTypeDesc.of(CD_long, CD_long, CD_INSNS, CD_int, CD_boolean);
    private static final MethodTypeDesc MT_VOID = MethodTypeDesc.of(CD_void);
    private static final MethodTypeDesc MT_READ_INT = MethodTypeDesc.of(CD_int, CD_long);
    private static final MethodTypeDesc MT_READ_LONG = MethodTypeDesc.of(CD_long, CD_long);
    private static final MethodTypeDesc MT_WRITE_INT = MethodTypeDesc.of(CD_void, CD_long, CD_int);
    private static final MethodTypeDesc MT_WRITE_LONG = MethodTypeDesc.of(CD_void, CD_long, CD_long);
    private static final MethodTypeDesc MT_COMPARE = MethodTypeDesc.of(CD_int, CD_long, CD_long);
    private static final MethodTypeDesc MT_ROTATE = MethodTypeDesc.of(CD_long, CD_int, CD_int, CD_long, CD_int);
    private static final MethodTypeDesc MT_ROTATE_CF_OF = MethodTypeDesc.of(CD_long, CD_int, CD_int, CD_long);
    private static final MethodTypeDesc MT_MUL_HIGH = MethodTypeDesc.of(CD_long, CD_long, CD_long);
    private static final ClassDesc CD_STRING = desc(String.class);
    private static final MethodTypeDesc MT_FAULTED = MethodTypeDesc.of(CD_void, CD_STATE, CD_INTERP, CD_INSNS, CD_int, CD_int,
            CD_STRING, CD_long, CD_long, CD_long, CD_long);
    private static final MethodTypeDesc MT_STOPPED = MethodTypeDesc.of(CD_int, CD_STATE, CD_INSNS, CD_int, CD_STRING, CD_long,
            CD_long, CD_long, CD_long);
    private static final ClassDesc CD_MATH = desc(Math.class);

    private static final ClassFile CLASS_FILE = ClassFile.of(
            ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.ofClassLoading(LOOKUP).cached()),
            ClassFile.StackMapsOption.STACK_MAPS_WHEN_REQUIRED);

    private static ClassDesc desc(Class<?> c) {
        return c.describeConstable().orElseThrow();
    }

    /** Translated code: {@code a} when it is canonical, otherwise the fault the interpreter raises (#GP, or #SS). */
    static long canonical(long a, Insn[] code, int k, boolean stack) {
        if (((a << 16) >> 16) != a) {
            throw Interp.nonCanonical(code[k], a, stack);
        }
        return a;
    }

    /**
     * Translated code, when instruction {@code k} faults: the state of that instruction (its flags written out as
     * {@code info} says they were when it started, RIP at it, the instructions retired before it), so the fault is
     * precise. {@code done} counts the instructions of the region's earlier rounds.
     */
    static void faulted(CpuState s, Interp in, Insn[] code, int k, int done, String info, long fa, long fb, long fr, long fx) {
        spill(info.charAt(3 * k), s, fa, fb, fr, fx);
        s.rip = code[k].rip;
        in.partial = in.chainedDone + done + info.charAt(3 * k + 2);
    }

    /**
     * Translated code, when instruction {@code k} wrote its own block's code: the state after it (flags as {@code info}
     * says they were then, RIP at the next instruction); returns the instructions of the block retired with it.
     */
    static int stopped(CpuState s, Insn[] code, int k, String info, long fa, long fb, long fr, long fx) {
        spill(info.charAt(3 * k + 1), s, fa, fb, fr, fx);
        s.rip = code[k].next;
        return info.charAt(3 * k + 2) + 1;
    }

    /** How many translations may run nested in one another's calls ({@link #chainable}) before the dispatcher runs again. */
    static final int MAX_CHAIN = 16;

    /**
     * Translated code, leaving its region with RIP set and the flags written out: whether to run {@code next} (the
     * translation this exit led to last time, or null) now, from this method, instead of returning to the dispatcher.
     * Yes when it is the current translation of the block at RIP, that block's code and mapping are unchanged, the
     * budget ({@code left}) has room for its first block, and nothing the dispatcher handles between blocks is
     * pending (an interrupt shadow, a change of code size); at most {@link #MAX_CHAIN} deep. The exit itself is only
     * a hint: every condition is checked here, so a stale or wrong link is never taken.
     */
    static boolean chainable(CompiledBlock next, Interp in, long left) {
        if (next == null || !next.live) {
            return false;
        }
        CpuState s = in.s;
        if (next.origin != s.rip || left < next.length || in.chainDepth >= MAX_CHAIN || s.interruptShadow || s.codeSize != 8
                || next.mappedEpoch != in.mem.epoch()) {
            return false;
        }
        in.chainDepth++;
        in.chained++;
        return true;
    }

    /**
     * Translated code, at exit {@code slot} of {@code self} with RIP set, {@code done} instructions retired: the
     * translation to run now ({@link #chainable}), or null after telling the dispatcher which exit this was.
     */
    static CompiledBlock next(CompiledBlock self, int slot, Interp in, long left, int done) {
        CompiledBlock n = self.chain[slot];
        if (chainable(n, in, left - done)) {
            in.chainedDone += done; // a fault in n counts these as retired too
            return n;
        }
        in.exitFrom = self;
        in.exitSlot = slot;
        return null;
    }

    /** Translated code, after a chained translation returned {@code r}: {@code r} plus this method's {@code done}. */
    static long chained(Interp in, long r, int done) {
        in.chainDepth--;
        in.chainedDone -= done;
        return r + done;
    }

    /**
     * The state's {@link CpuState#ccOp} for flags held as operation {@code kind} of {@code size} (0: exact flags) with,
     * when {@code cfOf}, a CF/OF-only operation after it: what the generated spills and {@link #spill} both write.
     */
    private static int lazyOp(int kind, int size, boolean cfOf) {
        return (kind == 0 ? 0 : LazyFlags.op(kind, size)) | (cfOf ? LazyFlags.CF_OF : 0);
    }

    /** In the info string's first char of an instruction: the interpreter runs it ({@link Gen#writeBackAtFault}). */
    private static final int INTERPRETED = 0x8000;

    /** Where the flags are, packed in a char of the info string: {@link Pending}, kind, size, and the CF_OF part. */
    private static char flagsAt(Pending p, int kind, int size, boolean modified) {
        return (char) (p.ordinal() | (modified ? 4 : 0) | kind << 3 | size << 7);
    }

    /** Writes flags held in locals ({@link Pending#STATIC}, as {@code f} packs them) into the state's lazy record. */
    private static void spill(char f, CpuState s, long fa, long fb, long fr, long fx) {
        if ((f & 3) != Pending.STATIC.ordinal()) {
            return;
        }
        boolean cfOf = (f & 4) != 0;
        s.ccOp = lazyOp((f >> 3) & 15, (f >> 7) & 15, cfOf);
        if (cfOf) {
            s.ccX = fx;
        }
        s.ccA = fa;
        s.ccB = fb;
        s.ccR = fr;
    }

    /** Whether the translator has bytecode of its own for {@code i} (otherwise it calls the interpreter). */
    public static boolean hasOwnBytecode(Insn i) {
        if (i.sreg >= 0) {
            return false;
        }
        return switch (i.op) {
            case Op.NOP, Op.MOV_RM_R, Op.MOV_R_RM, Op.MOV_RM_I, Op.MOVZX, Op.MOVSX, Op.LEA, Op.TEST_RM_R, Op.TEST_RM_I,
                 Op.INC, Op.DEC, Op.NEG, Op.NOT, Op.JCC, Op.JMP, Op.JMP_RM, Op.CALL, Op.CALL_RM, Op.RET, Op.CMOV,
                 Op.SETCC, Op.PUSH_RM, Op.PUSH_I -> true;
            case Op.ALU_RM_R, Op.ALU_RM_I, Op.ALU_R_RM -> true;
            case Op.POP_RM -> i.rm >= 0;
            case Op.SHIFT -> i.sub != 2 && i.sub != 3; // RCL and RCR go to the interpreter
            case Op.SHIFT_CL -> i.sub >= 4;
            case Op.IMUL2, Op.IMUL3, Op.MUL, Op.IMUL1, Op.BSWAP, Op.CONV_A, Op.CONV_D, Op.PUSHF, Op.BSF, Op.BSR -> true;
            case Op.XCHG -> i.rm >= 0; // with memory it is a locked exchange: the interpreter's
            case Op.CMPXCHG -> true; // without LOCK (a locked one is Op.LOCKED)
            case Op.BT_R, Op.BT_I, Op.TZCNT -> true; // BTS/BTR/BTC too (with LOCK they are Op.LOCKED)
            case Op.SHLD, Op.SHRD, Op.SHLD_CL, Op.SHRD_CL -> true;
            case Op.X87 -> i.sub == FNSTCW_M16;
            case Op.SSE -> sseOwn(i);
            default -> false;
        };
    }

    /**
     * The SSE operations translated: 128-bit moves and bitwise logic, PCMPEQB, PMOVMSKB and MOVD (the string
     * functions of a C library: what busybox runs most), MOVSD, the low unpacks and PSHUFD, none of which reads
     * MXCSR or changes the flags; and (U)COMISD, whose comparison is the interpreter's own.
     */
    private static boolean sseOwn(Insn i) {
        return switch (i.sub) {
            case SseOp.MOV_LOAD, SseOp.MOV_STORE, SseOp.PAND, SseOp.PANDN, SseOp.POR, SseOp.PXOR,
                 SseOp.INT_BASE + 0xdb, SseOp.INT_BASE + 0xdf, SseOp.INT_BASE + 0xeb, SseOp.INT_BASE + 0xef,
                 SseOp.INT_BASE + 0x74, SseOp.INT_BASE + 0x60, SseOp.INT_BASE + 0x61, SseOp.INT_BASE + 0x62,
                 SseOp.INT_BASE + 0x6c, SseOp.PSHUFD -> i.rm >= 0 || i.size2 == 16;
            case SseOp.MOVSD_LOAD, SseOp.COMISD, SseOp.UCOMISD -> i.rm >= 0 || i.size2 == 8;
            case SseOp.PMOVMSKB, SseOp.MOVD_TO_XMM, SseOp.MOVD_FROM_XMM, SseOp.MOVSD_STORE -> true;
            default -> false;
        };
    }

    /** {@link Insn#sub} of FNSTCW m16 (D9 /7): the x87 decoder's escape * 8 + ModRM.reg for a memory operand. */
    private static final int FNSTCW_M16 = 1 * 8 + 7;

    /** Translated code, TZCNT's flags: CF for a zero source, ZF for a zero count; SF, AF, PF clear, OF kept. */
    static long tzcntFlags(long rflags, long source, long count) {
        return (rflags & ~(CpuState.CF | CpuState.ZF | CpuState.SF | CpuState.AF | CpuState.PF))
                | (source == 0 ? CpuState.CF : 0) | (count == 0 ? CpuState.ZF : 0);
    }

    /** Translated code: #GP unless the 16-byte operand of instruction {@code k} at {@code a} is aligned. */
    static void aligned(long a, Insn[] code, int k) {
        if ((a & 15) != 0) {
            throw Operands.misaligned(code[k], a);
        }
    }

    /** Translated code, PCMPEQB on eight bytes: 0xff where the bytes of {@code a} and {@code b} are equal, else 0. */
    static long equalBytes(long a, long b) {
        long x = a ^ b;
        long nonZero = (((x & 0x7f7f7f7f7f7f7f7fL) + 0x7f7f7f7f7f7f7f7fL) | x) & 0x8080808080808080L;
        return ((~nonZero & 0x8080808080808080L) >>> 7) * 0xff;
    }

    /** Translated code, PMOVMSKB: the top bits of the sixteen bytes of {@code lo} and {@code hi}, byte 0 in bit 0. */
    static long byteSigns(long lo, long hi) {
        return topBits(lo) | topBits(hi) << 8;
    }

    /** The top bit of each byte of {@code v} gathered into bits 0..7: a multiply moves bit 8j+7 to bit 56+j. */
    private static long topBits(long v) {
        return ((v & 0x8080808080808080L) * 0x0002040810204081L) >>> 56;
    }

    /**
     * Translates {@code region[0]} (64-bit code) and, in the same method, the other blocks of {@code region}, which
     * lie in its first page: a direct jump from one to another stays in the method. Fewer of them when the method
     * would be too large for HotSpot to compile, and a prefix of the first block when even it alone would be.
     */
    static CompiledBlock translate(Block[] region, boolean chaining) {
        int blocks = region.length;
        while (blocks > 1) {
            Block[] r = java.util.Arrays.copyOf(region, blocks);
            byte[] bytes = generateWithin(r, r[0].insns.length, chaining);
            if (bytes != null && (bytes.length <= HUGE_METHOD || codeLength(bytes) <= HUGE_METHOD)) {
                return define(bytes, r);
            }
            blocks /= 2;
        }
        Block[] one = {region[0]};
        int n = region[0].insns.length;
        while (true) {
            byte[] bytes = n == 1 ? generate(one, n, chaining) : generateWithin(one, n, chaining);
            // the class file holds the code, so a small one needs no parse to know the method is small enough
            if (bytes != null && (bytes.length <= HUGE_METHOD || n == 1 || codeLength(bytes) <= HUGE_METHOD)) {
                return define(bytes, one);
            }
            n = Math.max(1, n / 2);
        }
    }

    /** {@link #generate}, or null when the method's code would pass the class file's limit of 64 KiB. */
    private static byte[] generateWithin(Block[] region, int count, boolean chaining) {
        try {
            return generate(region, count, chaining);
        } catch (IllegalArgumentException e) { // the class file API refuses a method of more than 65,535 bytes of code
            return null;
        }
    }

    /**
     * The instance a translated class's static initializer makes, handed to the thread that defines the class
     * (cheaper than looking up and invoking its constructor through a method handle).
     */
    static final ThreadLocal<CompiledBlock> HANDOFF = new ThreadLocal<>();

    /** An instance of the class of {@code bytes}: the one {@link SharedTranslations} holds, or a class loaded now. */
    private static CompiledBlock define(byte[] bytes, Block[] region) {
        CompiledBlock compiled = SharedTranslations.reuse(bytes);
        boolean reused = compiled != null;
        if (!reused) {
            try {
                LOOKUP.defineHiddenClass(bytes, true);
            } catch (IllegalAccessException | LinkageError e) {
                throw new IllegalStateException("translated block at 0x" + Long.toHexString(region[0].start) + " does not load: "
                        + e, e);
            }
            compiled = HANDOFF.get();
            HANDOFF.remove();
            SharedTranslations.hold(bytes, compiled.another());
        }
        compiled.bind(code(region), region, bytes.length, reused);
        return compiled;
    }

    /** The instructions of a region's blocks, one after the other (the generated code names them by this index). */
    private static Insn[] code(Block[] region) {
        if (region.length == 1) {
            return region[0].insns;
        }
        var all = new ArrayList<Insn>();
        for (Block b : region) {
            all.addAll(List.of(b.insns));
        }
        return all.toArray(Insn[]::new);
    }

    private static int codeLength(byte[] bytes) {
        for (MethodModel m : CLASS_FILE.parse(bytes).methods()) {
            if (m.methodName().equalsString("run")) {
                return m.findAttribute(Attributes.code()).map(CodeAttribute::codeLength).orElse(0);
            }
        }
        return 0;
    }

    /** The class of a region whose first block is translated up to instruction {@code count}. */
    static byte[] generate(Block[] region, int count, boolean chaining) {
        ClassDesc self = ClassDesc.of(Translator.class.getPackageName() + ".Translated");
        return CLASS_FILE.build(self, cb -> {
            cb.withVersion(ClassFile.JAVA_5_VERSION, 0);
            cb.withFlags(AccessFlag.FINAL, AccessFlag.SYNTHETIC);
            cb.withSuperclass(CD_COMPILED);
            int[] exits = new int[1];
            cb.withMethodBody("run", MT_RUN, ClassFile.ACC_PUBLIC, c -> exits[0] = new Gen(c, region, count, chaining).emit());
            cb.withMethodBody(INIT_NAME, MT_INIT, 0, c -> {
                c.aload(0);
                c.loadConstant(exits[0]);
                c.invokespecial(CD_COMPILED, INIT_NAME, MT_INIT_EXITS);
                c.return_();
            });
            cb.withMethodBody(CLASS_INIT_NAME, MT_INIT, ClassFile.ACC_STATIC, c -> { // Translator.HANDOFF.set(new this())
                c.getstatic(CD_TRANSLATOR, "HANDOFF", CD_THREAD_LOCAL);
                c.new_(self).dup().invokespecial(self, INIT_NAME, MT_INIT);
                c.invokevirtual(CD_THREAD_LOCAL, "set", MethodTypeDesc.of(CD_void, CD_Object));
                c.return_();
            });
            cb.withMethodBody("another", MethodTypeDesc.of(CD_COMPILED), ClassFile.ACC_PUBLIC,
                    c -> c.new_(self).dup().invokespecial(self, INIT_NAME, MT_INIT).areturn());
        });
    }

    /** Where the arithmetic flags are while the block runs. */
    private enum Pending {
        /** {@link CpuState#rflags} is exact. */
        NONE,
        /** The state's lazy record ({@link CpuState#ccOp}) holds them, as the previous block left them. */
        DYNAMIC,
        /** The block's own locals hold them: {@link Gen#kind} and {@link Gen#fsize} say what operation made them. */
        STATIC
    }

    /** The generator of one block's {@code run} method. */
    private static final class Gen {
        private static final int THIS = 0, IN = 1, LEFT = 2;
        /** Jumps within the region stop before this many instructions (the count is returned as an int). */
        private static final int MAX_RETIRED = 1 << 30;
        /** How far from its code a 64-bit constant is taken for an address that moves with the code. */
        private static final long NEAR_CODE = 256L << 20;
        private final CodeBuilder c;
        private final Block[] region;
        /** The region's instructions, numbered as in {@link CompiledBlock#insns}. */
        private final Insn[] insns;
        /** The index in {@link #insns} of each block's first instruction. */
        private final int[] base;
        /** How many instructions of the first block are translated (all, unless the method would be too large). */
        private final int count;
        private final int s, g, mem, code, blks, epoch, origin, tmpInt;
        /** The instruction that may fault or stop next (its index in {@link #insns}): what the fault handler reads. */
        private final int at;
        /** The translation an exit may chain to ({@link #leave}). */
        private final int nx;
        /** The XMM registers ({@link CpuState#xmm}). */
        private final int xm;
        /** Whether exits may run the next translation themselves ({@link #leave}), or always return. */
        private final boolean chaining;
        /** Exits of the method that may chain ({@link #leave}), numbered in order. */
        private int exits;
        /** Where they go: the one chained call, after the body and outside its fault handler. */
        private final Label leaving;
        private final int fa, fb, fr, fx, t0, t1, t2, addr, ex, done;
        /** Where each block of the region starts (the flags DYNAMIC there, as on entry). */
        private final Label[] entry;
        /** The block being generated: its index in the region, and the index of its first instruction. */
        private int cur, curBase;

        private Pending pending = Pending.DYNAMIC;
        /** The current instruction wrote memory: check that its block is still valid after it. */
        private boolean wrote;
        private int kind;
        private int fsize;
        /** A CF/OF-only operation (IMUL, ROL, ROR) followed {@link #kind} (or exact flags when it is 0): {@link #fx}. */
        private boolean modified;

        /**
         * What the one fault handler and the one stop of the method need to know of each instruction {@code k}, three
         * chars from {@code 3k} (a string constant of the class, {@link #flagsAt}): where the flags are when it starts,
         * where they are after it, and how many instructions of its block come before it.
         */
        private final StringBuilder info = new StringBuilder();
        /** The instruction being generated, and whether its code sets {@link #at} to it ({@link #touchesMemory}). */
        private int curK;
        private boolean atSet;
        /** The code may fault (some instruction set {@link #at}), or may stop after a write to its own code. */
        private boolean faults, stops;
        private final Label faulted, stopped;

        /**
         * The guest's general registers while the method runs: a long local each ({@link #regSlot}), read from
         * {@link Interp#gpr} on entry and written back where the state must be whole (an exit, a fault, a stop, an
         * interpreter call), so that the JIT keeps them in host registers instead of loading and storing the array
         * at every access. {@link #used}: the registers the code reads or writes (loaded on entry, after an interpreter
         * call); {@link #dirty}: those the code so far may have changed since the array was last written (a bit per
         * register); {@link #written}: those any of its code may change (what a fault or a stop writes back).
         */
        private final int[] regSlot = new int[16];
        private int used, dirty, written;
        /** What {@link #dirty} is at the start of the looping block (its back edge leads there): what it may change. */
        private int blockDirty;
        /**
         * Whether the registers live in locals, or the code reads and writes the array: locals in a block that loops
         * on itself (a checksum's loop: 12-15% faster), the array elsewhere: in short regions every entry and exit
         * loads and stores the registers, and locals measured no faster in single blocks and 7% slower in regions of
         * several (busybox's pipeline, both in one JVM, interleaved run by run; bench/cpu-user/README.md).
         */
        private boolean inLocals;
        /** Where the registers are loaded on entry (emitted last, when {@link #used} is known), and where that returns. */
        private final Label regsIn, regsBack;
        /** The reloads after interpreter calls, emitted last like {@link #regsIn}: where each starts and returns. */
        private final List<Label[]> reloads = new ArrayList<>();

        Gen(CodeBuilder c, Block[] region, int count, boolean chaining) {
            this.c = c;
            this.chaining = chaining;
            this.region = region;
            this.insns = code(region);
            this.count = count;
            base = new int[region.length];
            for (int j = 1; j < region.length; j++) {
                base[j] = base[j - 1] + region[j - 1].insns.length;
            }
            entry = new Label[region.length];
            s = c.allocateLocal(TypeKind.REFERENCE);
            g = c.allocateLocal(TypeKind.REFERENCE);
            for (int r = 0; r < 16; r++) { // below the locals written on entry, so that max_locals counts them all
                regSlot[r] = c.allocateLocal(TypeKind.LONG);
            }
            mem = c.allocateLocal(TypeKind.REFERENCE);
            code = c.allocateLocal(TypeKind.REFERENCE);
            blks = c.allocateLocal(TypeKind.REFERENCE);
            ex = c.allocateLocal(TypeKind.REFERENCE);
            fa = c.allocateLocal(TypeKind.LONG);
            fb = c.allocateLocal(TypeKind.LONG);
            fr = c.allocateLocal(TypeKind.LONG);
            fx = c.allocateLocal(TypeKind.LONG);
            t0 = c.allocateLocal(TypeKind.LONG);
            t1 = c.allocateLocal(TypeKind.LONG);
            t2 = c.allocateLocal(TypeKind.LONG);
            addr = c.allocateLocal(TypeKind.LONG);
            done = c.allocateLocal(TypeKind.INT);
            epoch = c.allocateLocal(TypeKind.INT);
            origin = c.allocateLocal(TypeKind.LONG);
            tmpInt = c.allocateLocal(TypeKind.INT);
            at = c.allocateLocal(TypeKind.INT);
            nx = c.allocateLocal(TypeKind.REFERENCE);
            xm = c.allocateLocal(TypeKind.REFERENCE);
            faulted = c.newLabel();
            stopped = c.newLabel();
            leaving = c.newLabel();
            regsIn = c.newLabel();
            regsBack = c.newLabel();
        }

        /** Emits the method; returns its number of exits (the size of {@link CompiledBlock#chain}). */
        int emit() {
            c.aload(IN).getfield(CD_INTERP, "s", CD_STATE).astore(s);
            c.aload(IN).getfield(CD_INTERP, "gpr", CD_LONGS).astore(g);
            c.aload(IN).getfield(CD_INTERP, "mem", CD_MEMORY).astore(mem);
            c.aload(THIS).getfield(CD_COMPILED, "insns", CD_INSNS).astore(code);
            c.aload(THIS).getfield(CD_COMPILED, "region", CD_BLOCKS).astore(blks);
            c.aload(THIS).getfield(CD_COMPILED, "origin", CD_long).lstore(origin);
            // Every local is written here: without stack maps the class file API counts max_locals over the code it
            // can reach, while the verifier checks the slot of every instruction, unreachable ones included.
            c.aconst_null().astore(ex);
            c.aconst_null().astore(nx);
            c.aload(s).getfield(CD_STATE, "xmm", CD_LONGS).astore(xm);
            for (int slot : new int[] {fa, fb, fr, fx, t0, t1, t2, addr}) {
                c.lconst_0().lstore(slot);
            }
            c.iconst_0().istore(done);
            c.iconst_0().istore(tmpInt);
            c.iconst_0().istore(at);
            info.setLength(3 * insns.length);
            inLocals = region.length == 1 && reentered();
            if (inLocals) {
                for (Insn i : insns) {
                    blockDirty |= mayWrite(i);
                }
            }
            if (inLocals) {
                c.goto_(regsIn);
            }
            c.labelBinding(regsBack);
            Label body = c.newLabel();
            Label bodyEnd = c.newLabel();
            c.labelBinding(body);
            c.aload(mem).invokeinterface(CD_MEMORY, "epoch", MT_EPOCH).istore(epoch);
            for (int j = 0; j < region.length; j++) {
                entry[j] = c.newLabel();
            }
            for (int j = 0; j < region.length; j++) {
                c.labelBinding(entry[j]);
                cur = j;
                curBase = base[j];
                dirty = blockDirty;
                pending = Pending.DYNAMIC;
                modified = false;
                int n = j == 0 ? count : region[j].insns.length;
                boolean ended = false;
                for (int k = curBase; k < curBase + n && !ended; k++) {
                    Insn i = insns[k];
                    curK = k;
                    atSet = touchesMemory(i);
                    if (atSet) {
                        c.loadConstant(k).istore(at);
                    }
                    info.setCharAt(3 * k, (char) (flagsAt(pending, kind, fsize, modified)
                            | (hasOwnBytecode(i) ? 0 : INTERPRETED)));
                    info.setCharAt(3 * k + 2, (char) (k - curBase));
                    wrote = false;
                    ended = instruction(k, i);
                    if (!ended && wrote) {
                        stillValid(k); // after the instruction's register and flag updates
                    }
                }
                if (!ended) { // the block (or the translated prefix) ends without a control transfer
                    Insn last = insns[curBase + n - 1];
                    exit(n, last.next, false);
                }
            }
            c.labelBinding(bodyEnd);
            String table = info.toString();
            if (faults) { // the fault comes with the state of instruction `at`: flags, RIP, and the count retired before it
                c.labelBinding(faulted);
                c.astore(ex);
                writeBackAtFault(table);
                c.aload(s).aload(IN).aload(code).iload(at).iload(done).loadConstant(table);
                c.lload(fa).lload(fb).lload(fr).lload(fx).invokestatic(CD_TRANSLATOR, "faulted", MT_FAULTED);
                c.aload(ex).athrow();
                c.exceptionCatchAll(body, bodyEnd, faulted);
            }
            if (stops) { // instruction `at` wrote its own block's code: out after it
                c.labelBinding(stopped);
                writeBack(written); // the interpreter's registers were loaded again after it: the locals are whole
                c.aload(s).aload(code).iload(at).loadConstant(table);
                c.lload(fa).lload(fb).lload(fr).lload(fx).invokestatic(CD_TRANSLATOR, "stopped", MT_STOPPED);
                c.iload(done).iadd().i2l().lreturn();
            }
            chainedCalls();
            if (inLocals) {
                c.labelBinding(regsIn);
                loadRegs();
                c.goto_(regsBack);
            }
            for (Label[] reload : reloads) {
                c.labelBinding(reload[0]);
                loadRegs();
                c.goto_(reload[1]);
            }
            return exits;
        }

        // ---- the guest's registers in locals ----

        /** Pushes register {@code r} (0..15). */
        private void getReg(int r) {
            if (!inLocals) {
                c.aload(g).loadConstant(r).laload();
                return;
            }
            used |= 1 << r;
            c.lload(regSlot[r]);
        }

        /**
         * Register {@code r} (0..15) = the long {@code value} pushes: into its local, written back to the state later,
         * or straight into the array (the code as it was before registers lived in locals, byte for byte).
         */
        private void putReg(int r, Runnable value) {
            if (!inLocals) {
                c.aload(g).loadConstant(r);
                value.run();
                c.lastore();
                return;
            }
            used |= 1 << r;
            dirty |= 1 << r;
            written |= 1 << r;
            value.run();
            c.lstore(regSlot[r]);
        }

        /** Writes the registers of {@code mask} back to {@link Interp#gpr} (each then loaded on entry too). */
        private void writeBack(int mask) {
            if (!inLocals) {
                return;
            }
            used |= mask;
            for (int r = 0; r < 16; r++) {
                if ((mask & 1 << r) != 0) {
                    c.aload(g).loadConstant(r).lload(regSlot[r]).lastore();
                }
            }
        }

        /** Loads every register the code uses from {@link Interp#gpr}. */
        private void loadRegs() {
            for (int r = 0; r < 16; r++) {
                if ((used & 1 << r) != 0) {
                    c.aload(g).loadConstant(r).laload().lstore(regSlot[r]);
                }
            }
        }

        /** Before leaving the method: the registers the code may have changed go back to the state. */
        private void writeBackDirty() {
            writeBack(dirty);
        }

        /**
         * In the fault handler: a translated instruction faults before it writes a register, so the locals hold the
         * state of the faulting instruction and go back to the state; an interpreter call wrote the locals back before
         * it and is exact itself (a string instruction's registers show the iterations done), so after one nothing is
         * written (the info string marks those instructions, {@link #INTERPRETED}).
         */
        private void writeBackAtFault(String table) {
            if (written == 0) {
                return;
            }
            Label skip = c.newLabel();
            if (table.chars().anyMatch(ch -> (ch & INTERPRETED) != 0)) {
                c.loadConstant(table).iload(at).loadConstant(3).imul()
                        .invokevirtual(CD_STRING, "charAt", MethodTypeDesc.of(CD_char, CD_int))
                        .loadConstant(INTERPRETED).iand().ifne(skip);
            }
            writeBack(written);
            c.labelBinding(skip);
        }

        /** Whether a jump within the region may lead to the start of its first block (a loop), not only its entry. */
        private boolean reentered() {
            for (int j = 0; j < region.length; j++) {
                Insn last = region[j].insns[region[j].insns.length - 1];
                if ((last.op == Op.JCC || last.op == Op.JMP) && blockAt(last.imm) == 0 || blockAt(last.next) == 0) {
                    return true;
                }
            }
            return false;
        }

        /**
         * The registers (a bit each) {@code i}'s translated code may write, what a block's start takes as written (a
         * loop's back edge then writes nothing back): a register too many is written back unchanged at the exits, one
         * missed is written back before a jump within the region ({@link #jumpWithin}); neither is wrong.
         */
        private static int mayWrite(Insn i) {
            if (!hasOwnBytecode(i)) {
                return 0; // the interpreter writes the state itself: the locals are loaded again after it
            }
            int m = 0;
            if (i.reg >= 0 && switch (i.op) {
                case Op.MOV_R_RM, Op.MOVZX, Op.MOVSX, Op.LEA, Op.ALU_R_RM, Op.CMOV, Op.IMUL2, Op.IMUL3, Op.XCHG, Op.BSF,
                     Op.BSR, Op.TZCNT, Op.SSE -> true;
                default -> false;
            }) {
                m |= 1 << (i.reg & 15);
            }
            if (i.rm >= 0 && switch (i.op) {
                case Op.MOV_RM_R, Op.MOV_RM_I, Op.ALU_RM_R, Op.ALU_RM_I, Op.INC, Op.DEC, Op.NEG, Op.NOT, Op.SETCC, Op.POP_RM,
                     Op.SHIFT, Op.SHIFT_CL, Op.XCHG, Op.BSWAP, Op.CMPXCHG, Op.BT_R, Op.BT_I, Op.SHLD, Op.SHRD, Op.SHLD_CL,
                     Op.SHRD_CL, Op.SSE -> true;
                default -> false;
            }) {
                m |= 1 << (i.rm & 15);
            }
            return m | switch (i.op) {
                case Op.PUSH_RM, Op.PUSH_I, Op.POP_RM, Op.CALL, Op.CALL_RM, Op.RET, Op.PUSHF -> 1 << 4;
                case Op.MUL, Op.IMUL1, Op.CONV_A, Op.CONV_D -> 1 | 1 << 2;
                case Op.CMPXCHG -> 1;
                default -> 0;
            };
        }

        /**
         * The chained call of the exits ({@link #leave}): one call site that every exit of the method jumps to, with
         * the translation {@link Translator#next} chose, outside the body's handler, whose faults are this method's
         * own. A fault in the chained translation passes through here and counts this method's instructions as retired.
         */
        private void chainedCalls() {
            if (exits == 0) {
                return;
            }
            Label back = c.newLabel();
            c.labelBinding(leaving);
            c.aload(nx).ifnull(back);
            c.aload(nx).aload(IN).lload(LEFT).iload(done).i2l().lsub().invokevirtual(CD_COMPILED, "run", MT_RUN).lstore(t0);
            c.aload(IN).lload(t0).iload(done).invokestatic(CD_TRANSLATOR, "chained", MT_CHAINED).lreturn();
            c.labelBinding(back);
            c.iload(done).i2l().lreturn();
        }

        /**
         * Whether instruction {@code i} may fault or write memory: the interpreter's, or one with a memory operand, a
         * stack access or a jump target to check. Such an instruction sets {@link #at} before anything else, on every
         * path through its code.
         */
        private static boolean touchesMemory(Insn i) {
            if (!hasOwnBytecode(i) || i.rm < 0) {
                return true;
            }
            return switch (i.op) {
                case Op.PUSH_RM, Op.PUSH_I, Op.POP_RM, Op.CALL, Op.CALL_RM, Op.JMP_RM, Op.RET, Op.PUSHF -> true;
                case Op.SSE -> i.sub == SseOp.COMISD || i.sub == SseOp.UCOMISD; // #XM
                default -> false;
            };
        }

        /** The current instruction's code may fault here: it set {@link #at} at its start ({@link #touchesMemory}). */
        private void mayFault() {
            faults = true;
            if (!atSet) {
                throw new IllegalStateException("op " + insns[curK].op + " at 0x" + Long.toHexString(insns[curK].rip)
                        + " may fault but touchesMemory says it does not");
            }
        }

        // ---- one instruction; true when it ended the block ----

        private boolean instruction(int k, Insn i) {
            if (!hasOwnBytecode(i)) {
                fallback(k, i);
                return false;
            }
            int size = i.size;
            switch (i.op) {
                case Op.NOP -> { }
                case Op.MOV_RM_R -> {
                    readReg(i.reg, size, t0);
                    writeRm(k, i, size, t0);
                }
                case Op.MOV_R_RM -> {
                    readRm(k, i, size, t0);
                    writeReg(i.reg, size, t0);
                }
                case Op.MOV_RM_I -> {
                    value(i.imm, size);
                    c.lstore(t0);
                    writeRm(k, i, size, t0);
                }
                case Op.MOVZX -> {
                    readRm(k, i, i.size2, t0);
                    writeReg(i.reg, size, t0);
                }
                case Op.MOVSX -> {
                    readRm(k, i, i.size2, t0);
                    c.lload(t0);
                    signExtend(i.size2);
                    c.lstore(t0);
                    writeReg(i.reg, size, t0);
                }
                case Op.LEA -> {
                    address(i, t0);
                    writeReg(i.reg, size, t0);
                }
                case Op.ALU_RM_R, Op.ALU_RM_I, Op.ALU_R_RM -> alu(k, i);
                case Op.TEST_RM_R, Op.TEST_RM_I -> {
                    readRm(k, i, size, t0);
                    if (i.op == Op.TEST_RM_R) {
                        readReg(i.reg, size, t1);
                        c.lload(t0).lload(t1).land().lstore(fr);
                    } else {
                        c.lload(t0).loadConstant(i.imm & Alu.mask(size)).land().lstore(fr);
                    }
                    setPending(LazyFlags.LOGIC, size);
                }
                case Op.INC, Op.DEC -> {
                    rmAddress(k, i);
                    readRmAt(i, size, t0);
                    c.lload(t0).lconst_1();
                    if (i.op == Op.INC) {
                        c.ladd();
                    } else {
                        c.lsub();
                    }
                    mask(size);
                    c.lstore(t1);
                    writeRmAt(i, size, t1);
                    carryInto(t2); // CF survives INC and DEC
                    c.lload(t0).lstore(fa);
                    c.lload(t2).lstore(fb);
                    c.lload(t1).lstore(fr);
                    setPending(i.op == Op.INC ? LazyFlags.INC : LazyFlags.DEC, size);
                }
                case Op.NEG -> {
                    rmAddress(k, i);
                    readRmAt(i, size, t0);
                    c.lload(t0).lneg();
                    mask(size);
                    c.lstore(t1);
                    writeRmAt(i, size, t1);
                    c.lconst_0().lstore(fa);
                    c.lload(t0).lstore(fb);
                    c.lload(t1).lstore(fr);
                    setPending(LazyFlags.SUB, size);
                }
                case Op.NOT -> {
                    rmAddress(k, i);
                    readRmAt(i, size, t0);
                    c.lload(t0).loadConstant(-1L).lxor().lstore(t1);
                    writeRmAt(i, size, t1);
                }
                case Op.JCC -> {
                    Label taken = c.newLabel();
                    condJump(i.sub, taken);
                    exit(k + 1 - curBase, i.next, false);
                    c.labelBinding(taken);
                    exit(k + 1 - curBase, i.imm, false);
                    return true;
                }
                case Op.JMP -> {
                    exit(k + 1 - curBase, i.imm, false);
                    return true;
                }
                case Op.JMP_RM, Op.CALL_RM -> {
                    readRm(k, i, 8, t1);
                    canonical(k, t1, false);
                    if (i.op == Op.CALL_RM) {
                        guestAddress(i.next);
                        c.lstore(t0);
                        push(k, 8, t0);
                    }
                    spill();
                    c.aload(s).lload(t1).putfield(CD_STATE, "rip", CD_long);
                    leave(k + 1 - curBase);
                    return true;
                }
                case Op.CALL -> {
                    guestAddress(i.next);
                    c.lstore(t0);
                    push(k, 8, t0);
                    exit(k + 1 - curBase, i.imm, false);
                    return true;
                }
                case Op.RET -> {
                    getReg(4);
                    c.lstore(t0);
                    canonical(k, t0, true);
                    c.aload(mem).lload(t0).invokeinterface(CD_MEMORY, "read64", MT_READ_LONG).lstore(t1);
                    canonical(k, t1, false);
                    putReg(4, () -> c.lload(t0).loadConstant(8L + i.imm).ladd());
                    spill();
                    c.aload(s).lload(t1).putfield(CD_STATE, "rip", CD_long);
                    leave(k + 1 - curBase);
                    return true;
                }
                case Op.CMOV -> {
                    readRm(k, i, size, t0); // the source is read (and may fault) even when the condition is false
                    Label no = c.newLabel();
                    Label done = c.newLabel();
                    condJump(i.sub ^ 1, no);
                    writeReg(i.reg, size, t0);
                    c.goto_(done);
                    c.labelBinding(no);
                    if (size == 4) { // a 32-bit CMOV writes its destination either way
                        putReg(i.reg, () -> {
                            getReg(i.reg);
                            c.loadConstant(0xffffffffL).land();
                        });
                    }
                    c.labelBinding(done);
                }
                case Op.SETCC -> {
                    Label yes = c.newLabel();
                    Label done = c.newLabel();
                    condJump(i.sub, yes);
                    c.lconst_0().lstore(t0);
                    c.goto_(done);
                    c.labelBinding(yes);
                    c.lconst_1().lstore(t0);
                    c.labelBinding(done);
                    writeRm(k, i, 1, t0);
                }
                case Op.PUSH_RM -> {
                    readRm(k, i, size, t0);
                    push(k, size, t0);
                }
                case Op.PUSH_I -> {
                    value(i.imm, size);
                    c.lstore(t0);
                    push(k, size, t0);
                }
                case Op.POP_RM -> { // register destination only
                    getReg(4);
                    c.lstore(t1);
                    canonical(k, t1, true);
                    load(size, t1, t0);
                    putReg(4, () -> c.lload(t1).loadConstant((long) size).ladd());
                    writeReg(i.rm, size, t0); // POP RSP: the popped value wins over the increment
                }
                case Op.SHIFT -> shiftImmediate(k, i);
                case Op.SHIFT_CL -> shiftCl(k, i);
                case Op.IMUL2, Op.IMUL3 -> {
                    if (i.op == Op.IMUL2) {
                        readReg(i.reg, size, t0);
                        readRm(k, i, size, t1);
                    } else {
                        readRm(k, i, size, t0);
                        c.loadConstant(i.imm).lstore(t1);
                    }
                    if (size == 8) {
                        c.lload(t0).lload(t1).lmul().lstore(t2);
                        c.lload(t0).lload(t1).invokestatic(CD_MATH, "multiplyHigh", MT_MUL_HIGH);
                        c.lload(t2).loadConstant(63).lshr();
                    } else {
                        c.lload(t0);
                        signExtend(size);
                        c.lload(t1);
                        signExtend(size);
                        c.lmul().lstore(t2);
                        c.lload(t2).lload(t2);
                        signExtend(size);
                    }
                    overflowUnlessEqual(); // nothing can fault from here on: fx may change before the register
                    writeReg(i.reg, size, t2);
                    setCfOfPending();
                }
                case Op.MUL, Op.IMUL1 -> widening(k, i);
                case Op.XCHG -> { // two registers
                    readReg(i.reg, size, t0);
                    readReg(i.rm, size, t1);
                    writeReg(i.rm, size, t0);
                    writeReg(i.reg, size, t1);
                }
                case Op.BSWAP -> {
                    int r = i.rm;
                    putReg(r, () -> {
                        getReg(r);
                        switch (size) {
                            case 8 -> c.invokestatic(CD_LONG_BOX, "reverseBytes", MethodTypeDesc.of(CD_long, CD_long));
                            case 4 -> c.l2i().invokestatic(desc(Integer.class), "reverseBytes", MethodTypeDesc.of(CD_int, CD_int))
                                    .i2l().loadConstant(0xffffffffL).land();
                            // undefined for 16 bits: zero, as the interpreter (and Intel parts) leave it
                            default -> c.loadConstant(~0xffffL).land();
                        }
                    });
                }
                case Op.CONV_A -> { // CBW, CWDE, CDQE: the accumulator's lower half sign-extended into it
                    readReg(0, size / 2, t0);
                    c.lload(t0);
                    signExtend(size / 2);
                    c.lstore(t0);
                    writeReg(0, size, t0);
                }
                case Op.CONV_D -> { // CWD, CDQ, CQO: rDX filled with rAX's sign
                    readReg(0, size, t0);
                    c.lload(t0);
                    signExtend(size);
                    c.loadConstant(63).lshr().lstore(t0);
                    writeReg(2, size, t0);
                }
                case Op.SSE -> sse(k, i);
                case Op.BSF, Op.BSR -> {
                    // The interpreter's flags are those of a logical operation on the index with bit 8 set (ZF clear,
                    // SF clear, PF of the index's low byte), or on 0 for a zero source (ZF and PF set), which leaves
                    // the destination alone.
                    readRm(k, i, size, t0);
                    Label zero = c.newLabel();
                    Label joined = c.newLabel();
                    c.lload(t0).lconst_0().lcmp().ifeq(zero);
                    if (i.op == Op.BSF) {
                        c.lload(t0).invokestatic(CD_LONG_BOX, "numberOfTrailingZeros", MT_BIT_COUNT);
                    } else {
                        c.loadConstant(63).lload(t0).invokestatic(CD_LONG_BOX, "numberOfLeadingZeros", MT_BIT_COUNT).isub();
                    }
                    c.i2l().lstore(t1);
                    writeReg(i.reg, size, t1);
                    c.lload(t1).loadConstant(0x100L).lor().lstore(fr);
                    c.goto_(joined);
                    c.labelBinding(zero);
                    c.lconst_0().lstore(fr);
                    c.labelBinding(joined);
                    setPending(LazyFlags.LOGIC, size);
                }
                case Op.CMPXCHG -> {
                    rmAddress(k, i);
                    readRmAt(i, size, t0); // the destination
                    readReg(0, size, t1); // the accumulator
                    Label differ = c.newLabel();
                    Label done = c.newLabel();
                    c.lload(t1).lload(t0).lcmp().ifne(differ);
                    readReg(i.reg, size, t2);
                    writeRmAt(i, size, t2);
                    c.goto_(done);
                    c.labelBinding(differ);
                    if (i.rm < 0) {
                        writeRmAt(i, size, t0); // the write cycle happens either way: the old value goes back
                    } // a register destination is left alone, as the interpreter leaves it
                    writeReg(0, size, t0);
                    c.labelBinding(done);
                    c.lload(t1).lstore(fa);
                    c.lload(t0).lstore(fb);
                    c.lload(t1).lload(t0).lsub();
                    mask(size);
                    c.lstore(fr);
                    setPending(LazyFlags.SUB, size);
                }
                case Op.BT_R, Op.BT_I -> bitTest(k, i, size);
                case Op.X87 -> { // FNSTCW m16 (a C library reads the rounding mode with it): the status word stays
                    rmAddress(k, i);
                    c.aload(IN).invokevirtual(CD_INTERP, "x87ControlWord", MT_INT).i2l().lstore(t0);
                    store(2, addr, t0);
                }
                case Op.SHLD, Op.SHRD, Op.SHLD_CL, Op.SHRD_CL -> {
                    // The interpreter's shift, from exact flags; the new flags are written after the store, which
                    // may fault (the result is written back even for a count of 0, as the interpreter does).
                    rmAddress(k, i);
                    readRmAt(i, size, t0);
                    readReg(i.reg, size, t1);
                    materialize();
                    c.aload(IN).loadConstant(i.op == Op.SHLD || i.op == Op.SHLD_CL ? 1 : 0).loadConstant(size).lload(t0).lload(t1);
                    if (i.op == Op.SHLD || i.op == Op.SHRD) {
                        c.loadConstant((int) i.imm);
                    } else {
                        getReg(1);
                        c.l2i();
                    }
                    c.invokevirtual(CD_INTERP, "shiftDouble", MT_SHIFT_DOUBLE).lstore(t2);
                    writeRmAt(i, size, t2);
                    c.aload(s).aload(IN).invokevirtual(CD_INTERP, "shiftedFlags", MT_LONG).putfield(CD_STATE, "rflags", CD_long);
                }
                case Op.TZCNT -> {
                    readRm(k, i, size, t0);
                    Label zero = c.newLabel();
                    Label joined = c.newLabel();
                    c.lload(t0).lconst_0().lcmp().ifeq(zero);
                    c.lload(t0).invokestatic(CD_LONG_BOX, "numberOfTrailingZeros", MT_BIT_COUNT).i2l().lstore(t1);
                    c.goto_(joined);
                    c.labelBinding(zero);
                    c.loadConstant((long) size * 8).lstore(t1);
                    c.labelBinding(joined);
                    writeReg(i.reg, size, t1);
                    materialize();
                    c.aload(s).dup().getfield(CD_STATE, "rflags", CD_long).lload(t0).lload(t1)
                            .invokestatic(CD_TRANSLATOR, "tzcntFlags", MT_TZCNT_FLAGS).putfield(CD_STATE, "rflags", CD_long);
                }
                case Op.PUSHF -> {
                    materialize();
                    c.aload(s).getfield(CD_STATE, "rflags", CD_long).loadConstant(0xfcffffL).land().lstore(t0);
                    push(k, size, t0);
                }
                default -> throw new IllegalStateException("no translation for op " + i.op);
            }
            return false;
        }

        /**
         * One-operand MUL and IMUL: rDX:rAX = rAX * r/m (AX = AL * r/m8); CF = OF when the product does not fit the
         * low half, the other flags as they were (as the interpreter leaves them).
         */
        private void widening(int k, Insn i) {
            int size = i.size;
            boolean signed = i.op == Op.IMUL1;
            readRm(k, i, size, t1);
            readReg(0, size, t0);
            if (size == 8) {
                c.lload(t0).lload(t1).invokestatic(CD_MATH, signed ? "multiplyHigh" : "unsignedMultiplyHigh", MT_MUL_HIGH)
                        .lstore(t2);
                c.lload(t0).lload(t1).lmul().lstore(t0);
                writeReg(0, 8, t0);
                writeReg(2, 8, t2);
                c.lload(t2);
                if (signed) {
                    c.lload(t0).loadConstant(63).lshr();
                } else {
                    c.lconst_0();
                }
            } else {
                int bits = size * 8;
                if (signed) {
                    c.lload(t0);
                    signExtend(size);
                    c.lload(t1);
                    signExtend(size);
                } else {
                    c.lload(t0).lload(t1);
                }
                c.lmul().lstore(t2);
                if (size == 1) {
                    writeReg(0, 2, t2);
                } else {
                    writeReg(0, size, t2);
                    c.lload(t2).loadConstant(bits).lushr().lstore(t0);
                    writeReg(2, size, t0);
                }
                if (signed) { // the product is exact in a long: it fits when it equals its own sign-extended low half
                    c.lload(t2).lload(t2);
                    signExtend(size);
                } else {
                    c.lload(t2).loadConstant(bits).lushr().lconst_0();
                }
            }
            overflowUnlessEqual();
            setCfOfPending();
        }

        /** Of the two longs on the stack: CF and OF into {@link #fx} when they differ (a product did not fit), else 0. */
        private void overflowUnlessEqual() {
            Label fits = c.newLabel();
            Label done = c.newLabel();
            c.lcmp().ifeq(fits);
            c.loadConstant(CpuState.CF | CpuState.OF).lstore(fx);
            c.goto_(done);
            c.labelBinding(fits);
            c.lconst_0().lstore(fx);
            c.labelBinding(done);
        }

        /** SHL, SHR, SAR (lazy flags), ROL and ROR (CF and OF only) by an immediate count. */
        private void shiftImmediate(int k, Insn i) {
            int size = i.size;
            int count = (int) i.imm & (size == 8 ? 63 : 31);
            rmAddress(k, i);
            readRmAt(i, size, t0);
            if (count == 0) { // the operand is written back unchanged, the flags stay
                writeRmAt(i, size, t0);
                return;
            }
            switch (i.sub) {
                case 0, 1 -> {
                    c.loadConstant(i.sub).loadConstant(size).lload(t0).loadConstant(count)
                            .invokestatic(CD_LAZY, "rotate", MT_ROTATE).lstore(t1);
                    writeRmAt(i, size, t1);
                    c.loadConstant(i.sub).loadConstant(size).lload(t1)
                            .invokestatic(CD_LAZY, "rotateCfOf", MT_ROTATE_CF_OF).lstore(fx);
                    setCfOfPending();
                    return;
                }
                case 4, 6 -> c.lload(t0).loadConstant(count).lshl();
                case 5 -> c.lload(t0).loadConstant(count).lushr();
                default -> {
                    c.lload(t0);
                    signExtend(size);
                    c.loadConstant(count).lshr();
                }
            }
            mask(size);
            c.lstore(t1);
            writeRmAt(i, size, t1);
            c.lload(t0).lstore(fa);
            c.loadConstant((long) count).lstore(fb);
            c.lload(t1).lstore(fr);
            setPending(i.sub == 5 ? LazyFlags.SHR : i.sub == 7 ? LazyFlags.SAR : LazyFlags.SHL, size);
        }

        /** SHL, SHR and SAR by CL: a zero count leaves the flags alone, so both paths leave them in the state. */
        private void shiftCl(int k, Insn i) {
            int size = i.size;
            rmAddress(k, i);
            readRmAt(i, size, t0);
            getReg(1);
            c.loadConstant(size == 8 ? 63L : 31L).land().lstore(t2);
            Label shift = c.newLabel();
            Label done = c.newLabel();
            c.lload(t2).lconst_0().lcmp().ifne(shift);
            writeRmAt(i, size, t0); // count 0: written back unchanged, flags as they were
            spill(pending, kind, fsize, modified);
            c.goto_(done);
            c.labelBinding(shift);
            c.lload(t0);
            switch (i.sub) {
                case 4, 6 -> c.lload(t2).l2i().lshl();
                case 5 -> c.lload(t2).l2i().lushr();
                default -> {
                    signExtend(size);
                    c.lload(t2).l2i().lshr();
                }
            }
            mask(size);
            c.lstore(t1);
            writeRmAt(i, size, t1);
            int lazyKind = i.sub == 5 ? LazyFlags.SHR : i.sub == 7 ? LazyFlags.SAR : LazyFlags.SHL;
            c.aload(s).loadConstant(LazyFlags.op(lazyKind, size)).putfield(CD_STATE, "ccOp", CD_int);
            c.aload(s).lload(t0).putfield(CD_STATE, "ccA", CD_long);
            c.aload(s).lload(t2).putfield(CD_STATE, "ccB", CD_long);
            c.aload(s).lload(t1).putfield(CD_STATE, "ccR", CD_long);
            c.labelBinding(done);
            pending = Pending.DYNAMIC;
            modified = false;
        }

        private void alu(int k, Insn i) {
            int size = i.size;
            int sub = i.sub;
            long m = Alu.mask(size);
            if (i.op == Op.ALU_R_RM) { // reg = reg op r/m
                readReg(i.reg, size, t0);
                readRm(k, i, size, t1);
            } else {
                rmAddress(k, i);
                readRmAt(i, size, t0);
                if (i.op == Op.ALU_RM_R) {
                    readReg(i.reg, size, t1);
                } else {
                    value(i.imm & m, size);
                    c.lstore(t1);
                }
            }
            if (sub == 2 || sub == 3) { // ADC, SBB: the carry in, read before anything is written
                carryInto(t2);
            }
            c.lload(t0).lload(t1);
            int flagKind;
            switch (sub) {
                case 0 -> {
                    c.ladd();
                    flagKind = LazyFlags.ADD;
                }
                case 2 -> {
                    c.ladd().lload(t2).ladd();
                    flagKind = LazyFlags.ADC;
                }
                case 3 -> {
                    c.lsub().lload(t2).lsub();
                    flagKind = LazyFlags.SBB;
                }
                case 1 -> {
                    c.lor();
                    flagKind = LazyFlags.LOGIC;
                }
                case 4 -> {
                    c.land();
                    flagKind = LazyFlags.LOGIC;
                }
                case 6 -> {
                    c.lxor();
                    flagKind = LazyFlags.LOGIC;
                }
                default -> { // 5 SUB, 7 CMP
                    c.lsub();
                    flagKind = LazyFlags.SUB;
                }
            }
            mask(size);
            c.lstore(t2);
            if (sub != 7) {
                if (i.op == Op.ALU_R_RM) {
                    writeReg(i.reg, size, t2);
                } else {
                    writeRmAt(i, size, t2);
                }
            }
            c.lload(t0).lstore(fa);
            c.lload(t1).lstore(fb);
            c.lload(t2).lstore(fr);
            setPending(flagKind, size);
        }

        /** The SSE operations of {@link #sseOwn}, as the interpreter's {@code Sse} does them (the flags untouched). */
        private void sse(int k, Insn i) {
            int d = 2 * i.reg;
            switch (i.sub) {
                case SseOp.MOV_LOAD -> {
                    xmmSource(k, i);
                    xmmSet(d);
                }
                case SseOp.MOV_STORE -> {
                    if (i.rm >= 0) {
                        xmmGet(d);
                        xmmSet(2 * i.rm);
                    } else { // checked whole before the first byte is written: a fault in the second page leaves the first
                        rmAddress(k, i);
                        if (i.imm2 == 1) {
                            alignedAt(k);
                        }
                        c.aload(IN).lload(addr).loadConstant(16).invokevirtual(CD_INTERP, "storable", MT_STORABLE);
                        xmmGet(d);
                        store(8, addr, t0);
                        c.lload(addr).loadConstant(8L).ladd().lstore(t2);
                        store(8, t2, t1);
                    }
                }
                case SseOp.PAND, SseOp.INT_BASE + 0xdb -> logic(k, i, d, Bitwise.AND);
                case SseOp.PANDN, SseOp.INT_BASE + 0xdf -> logic(k, i, d, Bitwise.AND_NOT);
                case SseOp.POR, SseOp.INT_BASE + 0xeb -> logic(k, i, d, Bitwise.OR);
                case SseOp.PXOR, SseOp.INT_BASE + 0xef -> logic(k, i, d, Bitwise.XOR);
                case SseOp.INT_BASE + 0x74 -> { // PCMPEQB
                    xmmSource(k, i);
                    for (int half = 0; half < 2; half++) {
                        int slot = half == 0 ? t0 : t1;
                        c.aload(xm).loadConstant(d + half).laload().lload(slot);
                        c.invokestatic(CD_TRANSLATOR, "equalBytes", MT_LONG_LONG_LONG).lstore(slot);
                    }
                    xmmSet(d);
                }
                case SseOp.INT_BASE + 0x60, SseOp.INT_BASE + 0x61, SseOp.INT_BASE + 0x62 -> { // PUNPCKLBW, WD, DQ
                    xmmSource(k, i);
                    int w = 8 << (i.sub - SseOp.INT_BASE - 0x60);
                    for (int half = 1; half >= 0; half--) { // the high half first: both read the destination's low one
                        c.aload(xm).loadConstant(d + half).aload(xm).loadConstant(d).laload().lload(t0).loadConstant(w)
                                .loadConstant(half).invokestatic(CD_SSE_INT, "interleave", MT_INTERLEAVE).lastore();
                    }
                }
                case SseOp.INT_BASE + 0x6c -> { // PUNPCKLQDQ: the destination's low quadword, then the source's
                    xmmSource(k, i);
                    c.aload(xm).loadConstant(d + 1).lload(t0).lastore();
                }
                case SseOp.PSHUFD -> {
                    xmmSource(k, i);
                    for (int half = 0; half < 2; half++) {
                        c.aload(xm).loadConstant(d + half);
                        dword((int) (i.imm >> (4 * half)) & 3);
                        dword((int) (i.imm >> (4 * half + 2)) & 3);
                        c.loadConstant(32).lshl().lor().lastore();
                    }
                }
                case SseOp.MOVSD_LOAD -> {
                    xmmLow(k, i);
                    c.aload(xm).loadConstant(d).lload(t0).lastore();
                    if (i.rm < 0) { // from memory: the high quadword cleared
                        c.aload(xm).loadConstant(d + 1).lconst_0().lastore();
                    }
                }
                case SseOp.MOVSD_STORE -> {
                    if (i.rm >= 0) {
                        c.aload(xm).loadConstant(2 * i.rm).aload(xm).loadConstant(d).laload().lastore();
                    } else {
                        rmAddress(k, i);
                        c.aload(xm).loadConstant(d).laload().lstore(t0);
                        store(8, addr, t0);
                    }
                }
                case SseOp.COMISD, SseOp.UCOMISD -> { // every arithmetic flag written: none to compute first
                    xmmLow(k, i);
                    mayFault();
                    c.aload(IN).aload(code).loadConstant(k).aaload().lload(t0).invokevirtual(CD_INTERP, "compare", MT_SSE_COMPARE)
                            .lstore(t1);
                    c.aload(s).loadConstant(0).putfield(CD_STATE, "ccOp", CD_int);
                    c.aload(s).dup().getfield(CD_STATE, "rflags", CD_long).loadConstant(~Alu.ARITH).land().lload(t1).lor()
                            .putfield(CD_STATE, "rflags", CD_long);
                    pending = Pending.NONE;
                }
                case SseOp.PMOVMSKB -> {
                    c.aload(xm).loadConstant(2 * i.rm).laload().aload(xm).loadConstant(2 * i.rm + 1).laload();
                    c.invokestatic(CD_TRANSLATOR, "byteSigns", MT_LONG_LONG_LONG).lstore(t0);
                    writeReg(i.reg, 4, t0);
                }
                case SseOp.MOVD_TO_XMM -> {
                    readRm(k, i, i.size, t0);
                    c.lconst_0().lstore(t1);
                    xmmSet(d);
                }
                case SseOp.MOVD_FROM_XMM -> {
                    c.aload(xm).loadConstant(d).laload().lstore(t0);
                    writeRm(k, i, i.size, t0);
                }
                default -> throw new IllegalStateException("SSE operation " + i.sub + " has no bytecode");
            }
        }

        private enum Bitwise { AND, AND_NOT, OR, XOR }

        /** XMM{@code d/2} = XMM{@code d/2} op the source (ANDN: the destination inverted). */
        private void logic(int k, Insn i, int d, Bitwise op) {
            xmmSource(k, i);
            for (int half = 0; half < 2; half++) {
                int slot = half == 0 ? t0 : t1;
                c.aload(xm).loadConstant(d + half).laload();
                if (op == Bitwise.AND_NOT) {
                    c.loadConstant(-1L).lxor();
                }
                c.lload(slot);
                switch (op) {
                    case AND, AND_NOT -> c.land();
                    case OR -> c.lor();
                    case XOR -> c.lxor();
                }
                c.lstore(slot);
            }
            xmmSet(d);
        }

        /** The 16-byte source operand into t0 (low) and t1 (high): an XMM register, or memory (aligned if it must be). */
        private void xmmSource(int k, Insn i) {
            if (i.rm >= 0) {
                c.aload(xm).loadConstant(2 * i.rm).laload().lstore(t0);
                c.aload(xm).loadConstant(2 * i.rm + 1).laload().lstore(t1);
                return;
            }
            rmAddress(k, i);
            if (i.imm2 == 1) {
                alignedAt(k);
            }
            load(8, addr, t0);
            c.lload(addr).loadConstant(8L).ladd().lstore(t2);
            load(8, t2, t1);
        }

        /** #GP unless {@link #addr} is 16-byte aligned. */
        private void alignedAt(int k) {
            mayFault();
            c.lload(addr).aload(code).loadConstant(k).invokestatic(CD_TRANSLATOR, "aligned", MT_ALIGNED);
        }

        /** The source's low quadword into t0: an XMM register's, or 8 bytes of memory. */
        private void xmmLow(int k, Insn i) {
            if (i.rm >= 0) {
                c.aload(xm).loadConstant(2 * i.rm).laload().lstore(t0);
            } else {
                rmAddress(k, i);
                load(8, addr, t0);
            }
        }

        /** Pushes dword {@code n} (0-3) of the 128 bits in t0 (low) and t1 (high), zero-extended. */
        private void dword(int n) {
            c.lload(n < 2 ? t0 : t1);
            if ((n & 1) == 1) {
                c.loadConstant(32).lushr();
            } else {
                c.loadConstant(0xffffffffL).land();
            }
        }

        /** t0 and t1 from the XMM register at {@code v} (twice its number). */
        private void xmmGet(int v) {
            c.aload(xm).loadConstant(v).laload().lstore(t0);
            c.aload(xm).loadConstant(v + 1).laload().lstore(t1);
        }

        /** The XMM register at {@code v} (twice its number) from t0 and t1. */
        private void xmmSet(int v) {
            c.aload(xm).loadConstant(v).lload(t0).lastore();
            c.aload(xm).loadConstant(v + 1).lload(t1).lastore();
        }

        /**
         * BT, BTS, BTR, BTC as the interpreter's: the bit offset masked to the operand for a register or an immediate
         * offset, and a register offset on memory addresses the bit string beyond the operand (signed, in operands).
         * Only CF changes.
         */
        private void bitTest(int k, Insn i, int size) {
            int bits = size * 8;
            if (i.op == Op.BT_R) {
                readReg(i.reg, size, t1);
                c.lload(t1);
                signExtend(size);
                c.lstore(t1);
            } else {
                c.loadConstant(i.imm).lstore(t1);
            }
            rmAddress(k, i);
            if (i.rm < 0 && i.op == Op.BT_R) {
                c.lload(addr).lload(t1).loadConstant(Integer.numberOfTrailingZeros(bits)).lshr().loadConstant((long) size).lmul()
                        .ladd().lstore(addr);
            }
            readRmAt(i, size, t0);
            c.lload(t1).l2i().loadConstant(bits - 1).iand().istore(tmpInt); // the bit
            if (i.sub != 0) {
                c.lconst_1().iload(tmpInt).lshl().lstore(t2);
                switch (i.sub) {
                    case 1 -> c.lload(t0).lload(t2).lor();
                    case 2 -> c.lload(t0).lload(t2).loadConstant(-1L).lxor().land();
                    default -> c.lload(t0).lload(t2).lxor();
                }
                c.lstore(t2);
                writeRmAt(i, size, t2);
            }
            materialize();
            c.aload(s).dup().getfield(CD_STATE, "rflags", CD_long).loadConstant(~CpuState.CF).land();
            c.lload(t0).iload(tmpInt).lushr().lconst_1().land().lor().putfield(CD_STATE, "rflags", CD_long);
        }

        /** An instruction the translator leaves to the interpreter: flags exact, RIP at it, then its handler. */
        private void fallback(int k, Insn i) {
            mayFault();
            materialize();
            setRip(i.rip);
            writeBackDirty();
            dirty = 0;
            c.aload(IN).aload(code).loadConstant(k).aaload().invokevirtual(CD_INTERP, "exec", MT_EXEC).istore(tmpInt);
            Label next = c.newLabel();
            Label reload = next;
            if (inLocals) {
                reload = c.newLabel();
                reloads.add(new Label[] {reload, next}); // the handler may have written any register
            }
            c.iload(tmpInt).ifeq(reload);
            // JUMPED: RIP is set; EXIT: the exit is waiting in the interpreter
            Label jumped = c.newLabel();
            c.iload(tmpInt).loadConstant(Interp.EXIT).if_icmpne(jumped);
            retire(k + 1 - curBase, true);
            c.labelBinding(jumped);
            retire(k + 1 - curBase, false); // (a far jump, IRET, SYSRET...: rare, not worth a chaining exit's code)
            c.labelBinding(next);
            wrote = true; // the handler may have written anything
        }


        // ---- flags ----

        private void setPending(int flagKind, int size) {
            if (modified) {
                // The CF/OF part is overwritten here, and fx is read only while such a part is pending, which a
                // multiply or rotate starts by writing fx: its value is dead. Saying so lets the JIT drop what computed
                // it (a multiply's overflow check), which the fault handler, reading the local at every instruction
                // that may fault, would otherwise keep alive.
                c.lconst_0().lstore(fx);
            }
            pending = Pending.STATIC;
            kind = flagKind;
            fsize = size;
            modified = false;
        }

        /** An operation that sets CF and OF only (from {@link #fx}) and keeps the other flags as they are. */
        private void setCfOfPending() {
            if (pending == Pending.DYNAMIC) { // the state's record gains the CF_OF part: no flags computed now
                c.aload(s).dup().getfield(CD_STATE, "ccOp", CD_int).loadConstant(LazyFlags.CF_OF).ior()
                        .putfield(CD_STATE, "ccOp", CD_int);
                c.aload(s).lload(fx).putfield(CD_STATE, "ccX", CD_long);
                return;
            }
            if (pending == Pending.NONE) {
                pending = Pending.STATIC;
                kind = 0;
                fsize = 8;
            }
            modified = true;
        }

        /** Writes locally held flags into the state's lazy record (the state is exact or lazy after it). */
        private void spill() {
            spill(pending, kind, fsize, modified);
            if (pending == Pending.STATIC) {
                pending = Pending.DYNAMIC;
            }
        }

        private void spill(Pending p, int flagKind, int size, boolean cfOf) {
            if (p != Pending.STATIC) {
                return;
            }
            c.aload(s).loadConstant(lazyOp(flagKind, size, cfOf)).putfield(CD_STATE, "ccOp", CD_int);
            if (cfOf) {
                c.aload(s).lload(fx).putfield(CD_STATE, "ccX", CD_long);
            }
            c.aload(s).lload(fa).putfield(CD_STATE, "ccA", CD_long);
            c.aload(s).lload(fb).putfield(CD_STATE, "ccB", CD_long);
            c.aload(s).lload(fr).putfield(CD_STATE, "ccR", CD_long);
        }

        /** Makes the state's RFLAGS exact: locally held flags go to the state's lazy record first, then it is computed. */
        private void materialize() {
            spill();
            if (pending != Pending.NONE) {
                c.aload(s).invokevirtual(CD_STATE, "materializeFlags", MT_VOID);
                pending = Pending.NONE;
            }
        }

        /** CF before the current instruction, into {@code slot} (0 or 1). */
        private void carryInto(int slot) {
            if (pending == Pending.STATIC && modified) {
                c.lload(fx).lconst_1().land().lstore(slot);
                return;
            }
            if (pending == Pending.STATIC) {
                switch (kind) {
                    case LazyFlags.ADD -> { // carry out: the masked sum wrapped below an operand
                        unsignedLess(fr, fa);
                        lessAsBit(slot);
                        return;
                    }
                    case LazyFlags.SUB -> {
                        unsignedLess(fa, fb);
                        lessAsBit(slot);
                        return;
                    }
                    case LazyFlags.LOGIC -> {
                        c.lconst_0().lstore(slot);
                        return;
                    }
                    case LazyFlags.ADC -> { // carry out of the top bit: (a & b) | ((a | b) & ~r)
                        c.lload(fa).lload(fb).land().lload(fa).lload(fb).lor().lload(fr).loadConstant(-1L).lxor().land().lor();
                        topBit(slot);
                        return;
                    }
                    case LazyFlags.SBB -> { // borrow out of the top bit: (~a & b) | ((~a | b) & r)
                        c.lload(fa).loadConstant(-1L).lxor().lload(fb).land();
                        c.lload(fa).loadConstant(-1L).lxor().lload(fb).lor().lload(fr).land().lor();
                        topBit(slot);
                        return;
                    }
                    case LazyFlags.INC, LazyFlags.DEC -> { // the CF they kept
                        c.lload(fb).lstore(slot);
                        return;
                    }
                    default -> { // the shifts: from their record
                        c.loadConstant(LazyFlags.op(kind, fsize)).lconst_0().lload(fa).lload(fb).lload(fr)
                                .invokestatic(CD_LAZY, "compute", MT_COMPUTE).lconst_1().land().lstore(slot);
                        return;
                    }
                }
            }
            if (pending == Pending.NONE) {
                c.aload(s).getfield(CD_STATE, "rflags", CD_long).lconst_1().land().lstore(slot);
            } else {
                c.aload(s).invokestatic(CD_LAZY, "carry", MT_CARRY).lstore(slot);
            }
        }

        /** The operand size's top bit of the long on the stack, into {@code slot} as 1 or 0. */
        private void topBit(int slot) {
            c.loadConstant(fsize * 8 - 1).lushr().lconst_1().land().lstore(slot);
        }

        /** Leaves an int on the stack: {@code Long.compareUnsigned(x, y)}. */
        private void unsignedLess(int x, int y) {
            c.lload(x).lload(y).invokestatic(CD_LONG_BOX, "compareUnsigned", MT_COMPARE);
        }

        /** The compare result on the stack (negative when less) into {@code slot} as 1 or 0. */
        private void lessAsBit(int slot) {
            Label less = c.newLabel();
            Label done = c.newLabel();
            c.iflt(less);
            c.lconst_0().lstore(slot);
            c.goto_(done);
            c.labelBinding(less);
            c.lconst_1().lstore(slot);
            c.labelBinding(done);
        }

        /** Jumps to {@code target} when condition {@code cc} (Jcc numbering) holds. */
        private void condJump(int cc, Label target) {
            boolean negate = (cc & 1) != 0;
            int test = cc >> 1;
            if (pending == Pending.STATIC && !modified && lazyCondition(test, negate, target)) {
                return;
            }
            spill();
            c.aload(s).loadConstant(cc).invokestatic(CD_LAZY, "cond", MT_COND);
            c.ifne(target);
            pending = Pending.NONE; // LazyFlags.cond made the state exact
        }

        /** Emits a direct test of the locally held operands, when there is one for this condition and operation. */
        private boolean lazyCondition(int test, boolean negate, Label target) {
            int sh = fsize * 8 - 1;
            switch (kind) {
                case LazyFlags.SUB -> {
                    switch (test) {
                        case 1 -> { // B: a < b unsigned
                            unsignedLess(fa, fb);
                            branch(negate ? Cmp.GE : Cmp.LT, target);
                        }
                        case 2 -> zero(negate, target);
                        case 3 -> { // BE: a <= b unsigned
                            unsignedLess(fb, fa); // b < a is "above"
                            branch(negate ? Cmp.LT : Cmp.GE, target);
                        }
                        case 4 -> sign(sh, negate, target);
                        case 6, 7 -> { // L: a < b signed, LE: a <= b signed
                            c.lload(fa);
                            signExtend(fsize);
                            c.lload(fb);
                            signExtend(fsize);
                            c.lcmp();
                            branch(test == 6 ? (negate ? Cmp.GE : Cmp.LT) : (negate ? Cmp.GT : Cmp.LE), target);
                        }
                        default -> {
                            return false; // O, P
                        }
                    }
                    return true;
                }
                case LazyFlags.LOGIC -> {
                    switch (test) {
                        case 0, 1 -> { // O and B are false (OF = CF = 0)
                            if (negate) {
                                c.goto_(target);
                            }
                        }
                        case 2, 3 -> zero(negate, target); // E; BE is ZF when CF = 0
                        case 4, 6 -> sign(sh, negate, target); // S; L is SF when OF = 0
                        case 7 -> { // LE: ZF or SF, i.e. the signed result is at most zero
                            c.lload(fr);
                            signExtend(fsize);
                            c.lconst_0().lcmp();
                            branch(negate ? Cmp.GT : Cmp.LE, target);
                        }
                        default -> {
                            return false; // P
                        }
                    }
                    return true;
                }
                case LazyFlags.ADD, LazyFlags.INC, LazyFlags.DEC, LazyFlags.ADC, LazyFlags.SBB -> { // Z and S from r
                    if (test == 2) {
                        zero(negate, target);
                    } else if (test == 4) {
                        sign(sh, negate, target);
                    } else if (test == 1 && kind == LazyFlags.ADD) {
                        unsignedLess(fr, fa);
                        branch(negate ? Cmp.GE : Cmp.LT, target);
                    } else {
                        return false;
                    }
                    return true;
                }
                default -> {
                    return false;
                }
            }
        }

        private enum Cmp { LT, GE, GT, LE, EQ, NE }

        private void branch(Cmp cmp, Label target) {
            switch (cmp) {
                case LT -> c.iflt(target);
                case GE -> c.ifge(target);
                case GT -> c.ifgt(target);
                case LE -> c.ifle(target);
                case EQ -> c.ifeq(target);
                default -> c.ifne(target);
            }
        }

        private void zero(boolean negate, Label target) {
            c.lload(fr).lconst_0().lcmp();
            branch(negate ? Cmp.NE : Cmp.EQ, target);
        }

        private void sign(int sh, boolean negate, Label target) {
            c.lload(fr).loadConstant(sh).lushr().lconst_1().land().lconst_0().lcmp();
            branch(negate ? Cmp.EQ : Cmp.NE, target);
        }

        // ---- exits ----

        /**
         * Leaves the block after {@code retired} of its instructions for {@code rip}: into the region's block there,
         * or out of the method (flags into the state, RIP, and the count of retired instructions).
         */
        private void exit(int retired, long rip, boolean viaExit) {
            spill(pending, kind, fsize, modified);
            int j = viaExit ? -1 : blockAt(rip);
            if (j >= 0) {
                jumpWithin(retired, j);
                return;
            }
            setRip(rip);
            if (viaExit) {
                writeBackDirty();
                retire(retired, true);
            } else {
                leave(retired);
            }
        }

        /**
         * Leaves the method after {@code retired} more instructions, with RIP set and the flags written out: into the
         * translation this exit led to last time when {@link Translator#chainable} says so (a chained call), else
         * back to the dispatcher, telling it which exit this was ({@link Interp#exitFrom}) so it can link the exit to
         * the translation it runs next.
         */
        private void leave(int retired) {
            writeBackDirty();
            if (!chaining) {
                retire(retired, false);
                return;
            }
            if (retired != 0) {
                c.iinc(done, retired);
            }
            c.aload(THIS).loadConstant(exits++).aload(IN).lload(LEFT).iload(done);
            c.invokestatic(CD_TRANSLATOR, "next", MT_NEXT).astore(nx);
            c.goto_(leaving);
        }

        /** Returns the instructions retired: the rounds before this one, plus {@code retired} of this one. */
        private void retire(int retired, boolean viaExit) {
            c.iload(done).loadConstant(retired).iadd().i2l();
            if (viaExit) {
                c.loadConstant(CompiledBlock.EXIT).lor();
            }
            c.lreturn();
        }

        /** The region's block that starts at {@code rip} (the first block only when it is translated whole), or -1. */
        private int blockAt(long rip) {
            for (int j = 0; j < region.length; j++) {
                if (region[j].start == rip && (j > 0 || count == region[0].insns.length)) {
                    return j;
                }
            }
            return -1;
        }

        /**
         * A jump to the region's block {@code j} (the flags already written out, as on entry): into it while the
         * budget has room for all of it, it is still valid (no write hit its code) and the vCPU's view of memory has
         * not changed since the method was entered (the page still maps to the code), else out with RIP at its start.
         */
        private void jumpWithin(int retired, int j) {
            c.iinc(done, retired);
            Label out = c.newLabel();
            c.lload(LEFT).iload(done).i2l().lsub().loadConstant((long) region[j].insns.length).lcmp().iflt(out);
            c.iload(done).loadConstant(MAX_RETIRED).if_icmpge(out);
            validBlock(j);
            c.ifeq(out);
            c.aload(mem).invokeinterface(CD_MEMORY, "epoch", MT_EPOCH).iload(epoch).if_icmpne(out);
            writeBack(dirty & ~blockDirty); // (none, unless mayWrite missed one) the block expects the rest
            c.goto_(entry[j]);
            c.labelBinding(out);
            setRip(region[j].start);
            writeBackDirty();
            retire(0, false);
        }

        /** Pushes the {@code valid} flag of the region's block {@code j}. */
        private void validBlock(int j) {
            c.aload(blks).loadConstant(j).aaload().getfield(CD_BLOCK, "valid", CD_boolean);
        }

        /** After a memory write: if it hit this block's code, stop after the instruction. */
        private void stillValid(int k) {
            stops = true;
            info.setCharAt(3 * k + 1, flagsAt(pending, kind, fsize, modified));
            Label valid = c.newLabel();
            validBlock(cur);
            c.ifne(valid);
            mayFault(); // a write (or the interpreter) came first: `at` is k
            c.goto_(stopped);
            c.labelBinding(valid);
        }

        private void setRip(long rip) {
            c.aload(s);
            guestAddress(rip);
            c.putfield(CD_STATE, "rip", CD_long);
        }

        /**
         * Pushes the guest address {@code a} of the region's code (an instruction's, a jump's target, a RIP-relative
         * operand's) as the instance's {@link CompiledBlock#origin} plus a constant: the class is the same for the same
         * code wherever it lies (a kernel placed by KASLR, a second VM), so {@link SharedTranslations} can share it.
         */
        private void guestAddress(long a) {
            c.lload(origin).loadConstant(a - region[0].start).ladd();
        }

        /**
         * Pushes {@code v}, a 64-bit immediate or an absolute displacement: as {@link #guestAddress} when it lies near
         * code far from the low 4 GiB (a kernel's reference to its own text or data, which KASLR moves with the code),
         * so that relocated code still shares its class; as itself otherwise (loop counts, masks and user programs'
         * constants stay constants the JIT folds). Exact either way: the instance's origin is its own code's start.
         */
        private void value(long v, int size) {
            if (size == 8 && (region[0].start >>> 32) != 0 && nearCode(v)) {
                guestAddress(v);
            } else {
                c.loadConstant(v);
            }
        }

        /** Whether {@code a} lies within {@link #NEAR_CODE} of the region's start. */
        private boolean nearCode(long a) {
            long d = a - region[0].start;
            return d > -NEAR_CODE && d < NEAR_CODE;
        }

        // ---- operands ----

        private void readReg(int r, int size, int slot) {
            if (size == 1 && r >= 16) {
                getReg(r - 16);
                c.loadConstant(8).lushr().loadConstant(0xffL).land();
            } else {
                getReg(r);
                if (size != 8) {
                    c.loadConstant(Alu.mask(size)).land();
                }
            }
            c.lstore(slot);
        }

        private void writeReg(int r, int size, int slot) {
            switch (size) {
                case 8 -> putReg(r, () -> c.lload(slot));
                case 4 -> putReg(r, () -> c.lload(slot).loadConstant(0xffffffffL).land());
                default -> {
                    int idx = size == 1 && r >= 16 ? r - 16 : r;
                    int shift = size == 1 && r >= 16 ? 8 : 0;
                    long m = Alu.mask(size) << shift;
                    putReg(idx, () -> {
                        getReg(idx);
                        c.loadConstant(~m).land();
                        c.lload(slot).loadConstant(Alu.mask(size)).land();
                        if (shift != 0) {
                            c.loadConstant(shift).lshl();
                        }
                        c.lor();
                    });
                }
            }
        }

        /** The effective address (unchecked, LEA's result) into {@code slot}. */
        private void address(Insn i, int slot) {
            if (i.ripRel && nearCode(i.disp)) {
                guestAddress(i.disp);
            } else if (i.ripRel) {
                // a RIP-relative operand far from its code names a fixed address: a kernel's per-CPU variable (a
                // small offset from GS's base), which KASLR does not move while its code moves
                c.loadConstant(i.disp);
            } else {
                value(i.disp, 8);
            }
            if (i.base >= 0) {
                getReg(i.base);
                c.ladd();
            }
            if (i.index >= 0) {
                getReg(i.index);
                if (i.scale != 0) {
                    c.loadConstant(i.scale).lshl();
                }
                c.ladd();
            }
            if (i.addr32) {
                c.loadConstant(0xffffffffL).land();
            }
            if (i.seg != 0) {
                c.aload(s).getfield(CD_STATE, i.seg == 1 ? "fsBase" : "gsBase", CD_long).ladd();
            }
            c.lstore(slot);
        }

        /** For a memory r/m: its checked address into {@link #addr}; nothing for a register r/m. */
        private void rmAddress(int k, Insn i) {
            if (i.rm >= 0) {
                return;
            }
            address(i, addr);
            canonical(k, addr, i.base == 4 || i.base == 5);
        }

        private void readRm(int k, Insn i, int size, int slot) {
            rmAddress(k, i);
            readRmAt(i, size, slot);
        }

        /** Reads the r/m operand; a memory one from {@link #addr}, which {@link #rmAddress} computed. */
        private void readRmAt(Insn i, int size, int slot) {
            if (i.rm >= 0) {
                readReg(i.rm, size, slot);
            } else {
                load(size, addr, slot);
            }
        }

        private void writeRm(int k, Insn i, int size, int slot) {
            rmAddress(k, i);
            writeRmAt(i, size, slot);
        }

        /** Writes the r/m operand; a memory one at {@link #addr}, which {@link #rmAddress} computed. */
        private void writeRmAt(Insn i, int size, int slot) {
            if (i.rm >= 0) {
                writeReg(i.rm, size, slot);
            } else {
                store(size, addr, slot);
            }
        }

        private void load(int size, int at, int slot) {
            mayFault();
            c.aload(mem).lload(at);
            switch (size) {
                case 1 -> c.invokeinterface(CD_MEMORY, "read8", MT_READ_INT).i2l().loadConstant(0xffL).land();
                case 2 -> c.invokeinterface(CD_MEMORY, "read16", MT_READ_INT).i2l().loadConstant(0xffffL).land();
                case 4 -> c.invokeinterface(CD_MEMORY, "read32", MT_READ_INT).i2l().loadConstant(0xffffffffL).land();
                default -> c.invokeinterface(CD_MEMORY, "read64", MT_READ_LONG);
            }
            c.lstore(slot);
        }

        private void store(int size, int at, int slot) {
            wrote = true;
            mayFault();
            c.aload(mem).lload(at).lload(slot);
            switch (size) {
                case 1 -> c.l2i().invokeinterface(CD_MEMORY, "write8", MT_WRITE_INT);
                case 2 -> c.l2i().invokeinterface(CD_MEMORY, "write16", MT_WRITE_INT);
                case 4 -> c.l2i().invokeinterface(CD_MEMORY, "write32", MT_WRITE_INT);
                default -> c.invokeinterface(CD_MEMORY, "write64", MT_WRITE_LONG);
            }
        }

        /** PUSH of {@code slot}: the stack slot checked and written before RSP moves. */
        private void push(int k, int size, int slot) {
            getReg(4);
            c.loadConstant((long) size).lsub().lstore(addr);
            canonical(k, addr, true);
            store(size, addr, slot);
            putReg(4, () -> c.lload(addr));
        }

        /** #GP (or #SS for a stack reference) when the address in {@code slot} is not canonical (the fault from a call). */
        private void canonical(int k, int slot, boolean stack) {
            mayFault();
            Label ok = c.newLabel();
            c.lload(slot).loadConstant(16).lshl().loadConstant(16).lshr().lload(slot).lcmp().ifeq(ok);
            c.lload(slot).aload(code).loadConstant(k).loadConstant(stack ? 1 : 0)
                    .invokestatic(CD_TRANSLATOR, "canonical", MT_CANONICAL).pop2(); // throws
            c.labelBinding(ok);
        }

        private void mask(int size) {
            if (size != 8) {
                c.loadConstant(Alu.mask(size)).land();
            }
        }

        private void signExtend(int size) {
            switch (size) {
                case 1 -> c.l2i().i2b().i2l();
                case 2 -> c.l2i().i2s().i2l();
                case 4 -> c.l2i().i2l();
                default -> { }
            }
        }
    }
}
