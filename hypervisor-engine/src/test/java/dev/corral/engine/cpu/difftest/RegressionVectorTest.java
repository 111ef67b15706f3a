package dev.corral.engine.cpu.difftest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** A saved vector reads back as the case and host outcome it was written from. */
class RegressionVectorTest {

    @Test
    void writtenVectorParsesBackToTheSameCaseAndOutcome() {
        CaseGenerator.Draft draft = ArithFamilies.arithmetic().next(new Random(7));
        DiffCase c = draft.assemble();
        dev.corral.engine.cpu.state.CpuState end = c.init().copy();
        end.gpr[3] = 0x1234_5678_9abc_def0L;
        end.xmm[5] = -2;
        end.mxcsr = 0x1fa0;
        end.rflags = 0x246;
        byte[] data = c.data().clone();
        data[17] ^= 0x5a;
        data[4095] ^= 1;
        Outcome host = new Outcome(14, GuestLayout.CODE + 3, end, data, GuestLayout.NO_ACCESS + 8, "signal 11");

        RegressionVector back = RegressionVector.parse(new RegressionVector(c, host).toText("why\non two lines"));

        assertThat(back.c().code()).isEqualTo(c.code());
        assertThat(back.c().data()).isEqualTo(c.data());
        assertThat(back.c().init().gpr).isEqualTo(c.init().gpr);
        assertThat(back.c().init().xmm).isEqualTo(c.init().xmm);
        assertThat(back.c().comparedFlags(host.rip())).isEqualTo(c.comparedFlags(host.rip()));
        assertThat(back.expected().vector()).isEqualTo(14);
        assertThat(back.expected().faultAddress()).isEqualTo(GuestLayout.NO_ACCESS + 8);
        assertThat(back.expected().data()).isEqualTo(data);
        assertThat(Comparison.differences(back.c(), back.expected(), host)).isEmpty();
    }
}
