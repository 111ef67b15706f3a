package dev.corral.engine.cpu.decode;

/**
 * Decodes the x87 escape opcodes D8..DF into {@link Op#X87} instructions. {@code sub} is
 * {@code (escape - 0xd8) * 8 + reg} for memory forms (0..63) and
 * {@code 64 + (escape - 0xd8) * 64 + (modrm & 0x3f)} for register forms; only forms {@link X87}
 * implements are accepted, the rest are #UD.
 */
final class X87Decoder {
    private X87Decoder() {
    }

    static void decode(Decoder d, Insn i, int b) {
        d.modrm(i);
        int esc = b - 0xd8;
        i.op = Op.X87;
        if (i.rm < 0) {
            i.sub = esc * 8 + d.modrmReg();
        } else {
            i.sub = 64 + esc * 64 + (d.modrm & 0x3f);
        }
        if (!implemented(i.sub)) {
            throw d.ud();
        }
    }

    static boolean implemented(int sub) {
        if (sub < 64) {
            int esc = sub >> 3;
            int reg = sub & 7;
            return switch (esc) {
                case 0, 2, 4, 6 -> true; // arithmetic and compares with m32fp, m32int, m64fp, m16int
                case 1 -> reg != 1;
                case 3 -> reg != 4 && reg != 6;
                case 5 -> reg <= 3 || reg == 7;
                default -> true; // DF: FILD/FISTTP/FIST/FISTP m16, FBLD.. (4, 6 refused below), FILD/FISTP m64
            } && !(esc == 7 && (reg == 4 || reg == 6));
        }
        int esc = (sub - 64) >> 6;
        int m = (sub - 64) & 0x3f;
        return switch (esc) {
            case 0 -> true;
            case 1 -> m < 0x10 || m == 0x10 || (m >= 0x20 && m <= 0x21) || (m >= 0x24 && m <= 0x25)
                    || (m >= 0x28 && m <= 0x2e) || m == 0x34 || m == 0x35 || m == 0x38 || m == 0x3a || m == 0x3c
                    || m == 0x3d;
            case 2 -> m < 0x20 || m == 0x29;
            case 3 -> m < 0x20 || m == 0x22 || m == 0x23 || (m >= 0x28 && m < 0x38);
            case 4 -> m < 0x10 || m >= 0x20;
            case 5 -> m < 0x08 || (m >= 0x10 && m < 0x30);
            case 6 -> m < 0x10 || m == 0x19 || m >= 0x20;
            default -> m == 0x20 || (m >= 0x28 && m < 0x38);
        };
    }
}
