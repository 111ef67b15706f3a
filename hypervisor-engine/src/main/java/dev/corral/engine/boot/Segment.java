package dev.corral.engine.boot;

/**
 * A segment register as the CPU caches it (the fields of KVM's {@code struct kvm_segment}).
 *
 * @param type the descriptor type nibble, e.g. 0xb (code, execute/read, accessed), 0x3 (data, read/write, accessed)
 * @param s    1 for code/data, 0 for system (TSS)
 * @param db   default operand size 32 (code) / big (data)
 * @param l    64-bit code
 * @param g    limit in 4 KiB units
 */
public record Segment(int selector, long base, long limit, int type, boolean present, int dpl, boolean db, boolean s,
        boolean l, boolean g) {

    /** The 8-byte GDT descriptor for this segment (for the TSS: the low half of its 16-byte descriptor). */
    public long descriptor() {
        long lim = g ? limit >>> 12 : limit;
        return (lim & 0xffffL) | ((base & 0xffffffL) << 16) | ((long) type << 40) | ((s ? 1L : 0) << 44) | ((long) dpl << 45)
                | ((present ? 1L : 0) << 47) | (((lim >>> 16) & 0xfL) << 48) | ((l ? 1L : 0) << 53) | ((db ? 1L : 0) << 54)
                | ((g ? 1L : 0) << 55) | (((base >>> 24) & 0xffL) << 56);
    }

    static Segment code64(int selector) {
        return new Segment(selector, 0, 0xffffffffL, 0xb, true, 0, false, true, true, true);
    }

    static Segment code32(int selector) {
        return new Segment(selector, 0, 0xffffffffL, 0xb, true, 0, true, true, false, true);
    }

    static Segment data(int selector) {
        return new Segment(selector, 0, 0xffffffffL, 0x3, true, 0, true, true, false, true);
    }

    /** A busy 64-bit TSS (type 0xb): hardware virtualization wants a usable task register even if the guest sets its own. */
    static Segment tss(int selector) {
        return new Segment(selector, 0, 0xfffff, 0xb, true, 0, false, false, false, false);
    }
}
