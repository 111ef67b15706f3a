package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuState;

class X87Test extends CpuTestSupport {

    @Test
    void extendedLoadStoreKeepsAllEightyBits() {
        st.gpr[0] = DATA;
        mem.write64(DATA, 0xc90fdaa22168c235L); // pi with a 64-bit significand
        mem.write16(DATA + 8, 0x4000);
        run("db 28 " // fld tbyte [rax]
                + "db 78 10"); // fstp tbyte [rax+16]
        assertThat(q(DATA + 16)).isEqualTo(0xc90fdaa22168c235L);
        assertThat(mem.read16(DATA + 24)).isEqualTo(0x4000);
    }

    @Test
    void fild64AndFistp64AreExact() {
        st.gpr[0] = DATA;
        mem.write64(DATA, 0x7fffffffffffffffL);
        run("df 28 df 78 08"); // fild qword [rax]; fistp qword [rax+8]
        assertThat(q(DATA + 8)).isEqualTo(0x7fffffffffffffffL);
    }

    @Test
    void doubleArithmeticAndStore() {
        st.gpr[0] = DATA;
        mem.write64(DATA, Double.doubleToRawLongBits(1.5));
        mem.write64(DATA + 8, Double.doubleToRawLongBits(2.25));
        run("dd 00 " // fld qword [rax]
                + "dc 40 08 " // fadd qword [rax+8]
                + "d9 e8 " // fld1
                + "de f9 " // fdivp st(1), st  -> st1 = st1 / st0
                + "dd 58 10"); // fstp qword [rax+16]
        assertThat(Double.longBitsToDouble(q(DATA + 16))).isEqualTo(3.75);
    }

    @Test
    void fsubrpSubtractsTheOtherWay() {
        st.gpr[0] = DATA;
        mem.write64(DATA, Double.doubleToRawLongBits(10));
        run("dd 00 d9 e8 " // fld qword [rax] (10); fld1
                + "de e1 " // fsubrp st(1), st  -> st1 = st0 - st1 = 1 - 10
                + "dd 58 08"); // fstp qword [rax+8]
        assertThat(Double.longBitsToDouble(q(DATA + 8))).isEqualTo(-9.0);
    }

    @Test
    void fucomipSetsFlagsAndPops() {
        st.gpr[0] = DATA;
        run("d9 e8 d9 ee " // fld1; fldz
                + "df e9 " // fucomip st, st(1)  : 0 < 1
                + "df e0"); // fnstsw ax
        assertThat(flag(CpuState.CF)).isTrue();
        assertThat(flag(CpuState.ZF)).isFalse();
        assertThat((r(0) >> 11) & 7).as("one register left: top = 7").isEqualTo(7);
    }

    @Test
    void controlWordRoundTripsAndDrivesFistRounding() {
        st.gpr[0] = DATA;
        mem.write16(DATA, 0x077f); // round down
        mem.write64(DATA + 8, Double.doubleToRawLongBits(-2.5));
        run("d9 28 " // fldcw [rax]
                + "dd 40 08 " // fld qword [rax+8]
                + "db 58 10 " // fistp dword [rax+16]
                + "d9 78 18"); // fnstcw [rax+24]
        assertThat(mem.read32(DATA + 16)).isEqualTo(-3);
        assertThat(mem.read16(DATA + 24) & 0xffff).isEqualTo(0x077f);
    }

    @Test
    void fisttpTruncates() {
        st.gpr[0] = DATA;
        mem.write64(DATA, Double.doubleToRawLongBits(-2.7));
        run("dd 00 db 48 08"); // fld qword [rax]; fisttp dword [rax+8]
        assertThat(mem.read32(DATA + 8)).isEqualTo(-2);
    }

    @Test
    void fxsaveAndFxrstorRoundTripXmmAndMxcsr() {
        st.gpr[0] = DATA;
        st.xmm[5] = 0x1234;
        st.mxcsr = 0x1f80 | 0x20;
        run("0f ae 00 " // fxsave [rax]
                + "66 0f ef ed " // pxor xmm5, xmm5
                + "0f ae 08"); // fxrstor [rax]
        assertThat(mem.read32(DATA + 24)).isEqualTo(0x1fa0);
        assertThat(st.xmm[5]).isEqualTo(0x1234);
        assertThat(mem.read16(DATA) & 0xffff).isEqualTo(0x37f);
    }

    @Test
    void roundedUpResultSetsC1AndAnExactStoreClearsIt() {
        st.gpr[0] = DATA;
        mem.write32(DATA, 3);
        run("db 00 " // fild dword [rax] : 3
                + "d9 e8 " // fld1
                + "de f1 " // fdivrp st(1), st : 1/3, rounded up at 64 bits
                + "89 c3 " // mov ebx, eax (keep the address)
                + "df e0 " // fnstsw ax
                + "89 c1 " // mov ecx, eax
                + "db 7b 10 " // fstp tbyte [rbx+16] : exact
                + "df e0"); // fnstsw ax
        assertThat(r(1) & 0x200).as("C1 after rounding up").isEqualTo(0x200);
        assertThat(r(0) & 0x200).as("C1 after an exact store").isZero();
        assertThat(q(DATA + 16)).isEqualTo(0xaaaaaaaaaaaaaaabL);
    }

    @Test
    void loadingADenormalSingleReportsDe() {
        st.gpr[0] = DATA;
        mem.write32(DATA, 1); // the smallest positive single denormal
        run("d9 00 " // fld dword [rax]
                + "df e0"); // fnstsw ax
        assertThat(r(0) & 0x02).isEqualTo(2);
    }

    @Test
    void loadingASignallingNanSingleQuietsItAndIsInvalid() {
        st.gpr[0] = DATA;
        mem.write32(DATA, 0x7f800001); // single SNaN
        run("d9 00 " // fld dword [rax]
                + "db 78 10 " // fstp tbyte [rax+16]
                + "df e0"); // fnstsw ax
        assertThat(r(0) & 0x01).isEqualTo(1);
        assertThat(q(DATA + 16)).isEqualTo(0xc000010000000000L);
    }

    @Test
    void frndintOfAnUnnormalIsInvalidAndGivesTheIndefinite() {
        st.gpr[0] = DATA;
        mem.write64(DATA, 0x1234); // integer bit clear with a non-zero exponent: unsupported
        mem.write16(DATA + 8, 0x4000);
        run("db 28 " // fld tbyte [rax]
                + "d9 fc " // frndint
                + "db 78 10 " // fstp tbyte [rax+16]
                + "df e0"); // fnstsw ax
        assertThat(r(0) & 0x01).isEqualTo(1);
        assertThat(q(DATA + 16)).isEqualTo(0xc000000000000000L);
        assertThat(mem.read16(DATA + 24) & 0xffff).isEqualTo(0xffff);
    }
}
