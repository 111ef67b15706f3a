package dev.corral.engine.machine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InterruptLineTest {

    @Test
    void onlyLevelChangesReachTheController() {
        var controller = new RecordingInterruptController();
        var line = new InterruptLine(controller, 4);

        line.raise();
        line.raise();
        line.set(true);
        line.lower();
        line.lower();
        line.raise();

        assertThat(controller.changes()).containsExactly("irq4 high", "irq4 low", "irq4 high");
        assertThat(line.isAsserted()).isTrue();
        assertThat(controller.isHigh(4)).isTrue();
    }
}
