package dev.corral.engine.usermode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The process stack as Linux leaves it at the ELF entry point (x86-64 SysV ABI): from {@code rsp} up,
 * argc, argv pointers, NULL, envp pointers, NULL, the auxiliary vector, then the strings it points at.
 * {@code rsp} is 16-byte aligned.
 */
public final class InitialStack {

    public static final long STACK_TOP = 0x7fff_ffff_f000L;
    public static final long STACK_SIZE = 8L << 20;

    static final int AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
            AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15,
            AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31;

    private InitialStack() {}

    /** Maps the stack and fills it; returns the initial {@code rsp}. */
    public static long build(UserAddressSpace memory, ElfLoader.Image image, List<String> argv, List<String> env,
                             String execfn, long hwcap, byte[] random16, int uid, int gid) {
        int prot = UserAddressSpace.PROT_READ | UserAddressSpace.PROT_WRITE
                | (image.executableStack() ? UserAddressSpace.PROT_EXEC : 0);
        memory.map(STACK_TOP - STACK_SIZE, STACK_SIZE, prot);
        memory.setMmapCeiling(STACK_TOP - STACK_SIZE - (256L << 20));

        // Strings go at the top; remember where each lands.
        ByteArrayOutputStream strings = new ByteArrayOutputStream();
        List<Integer> argOffsets = new ArrayList<>();
        List<Integer> envOffsets = new ArrayList<>();
        for (String a : argv) {
            argOffsets.add(strings.size());
            strings.writeBytes(cString(a));
        }
        for (String e : env) {
            envOffsets.add(strings.size());
            strings.writeBytes(cString(e));
        }
        int execfnOffset = strings.size();
        strings.writeBytes(cString(execfn));
        int platformOffset = strings.size();
        strings.writeBytes(cString("x86_64"));
        while (strings.size() % 16 != 0) {
            strings.write(0);
        }
        int randomOffset = strings.size();
        strings.writeBytes(random16);
        byte[] s = strings.toByteArray();
        long stringsAt = STACK_TOP - 16 - s.length; // 16 bytes of zero at the very top, as Linux leaves
        memory.poke(stringsAt, s, 0, s.length);

        long[][] aux = {
            {AT_PHDR, image.phdr()}, {AT_PHENT, image.phent()}, {AT_PHNUM, image.phnum()},
            {AT_PAGESZ, UserAddressSpace.PAGE_SIZE}, {AT_BASE, 0}, {AT_FLAGS, 0}, {AT_ENTRY, image.entry()},
            {AT_UID, uid}, {AT_EUID, uid}, {AT_GID, gid}, {AT_EGID, gid}, {AT_SECURE, 0},
            {AT_RANDOM, stringsAt + randomOffset}, {AT_HWCAP, hwcap}, {AT_HWCAP2, 0}, {AT_CLKTCK, 100},
            {AT_PLATFORM, stringsAt + platformOffset}, {AT_EXECFN, stringsAt + execfnOffset}, {AT_NULL, 0},
        };
        int words = 1 + argv.size() + 1 + env.size() + 1 + 2 * aux.length;
        long rsp = (stringsAt - 8L * words) & ~0xfL;
        ByteBuffer w = ByteBuffer.allocate(8 * words).order(ByteOrder.LITTLE_ENDIAN);
        w.putLong(argv.size());
        for (int off : argOffsets) {
            w.putLong(stringsAt + off);
        }
        w.putLong(0);
        for (int off : envOffsets) {
            w.putLong(stringsAt + off);
        }
        w.putLong(0);
        for (long[] pair : aux) {
            w.putLong(pair[0]).putLong(pair[1]);
        }
        memory.poke(rsp, w.array(), 0, w.capacity());
        return rsp;
    }

    private static byte[] cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }
}
