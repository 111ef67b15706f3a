package dev.corral.engine.devices.legacy;

import static dev.corral.engine.devices.legacy.I8042.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;

import dev.corral.engine.machine.PortIoBus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class I8042Test {

    private final AtomicInteger resets = new AtomicInteger();
    private PortIoBus bus;

    @BeforeEach
    void setUp() {
        var i8042 = new I8042(resets::incrementAndGet);
        bus = new PortIoBus();
        bus.register(DATA_PORT, 1, "i8042-data", i8042.dataPort());
        bus.register(COMMAND_PORT, 1, "i8042-command", i8042.commandPort());
    }

    @Test
    void linuxRebootKWaitsForAnEmptyInputBufferThenPulsesTheResetLine() {
        // kb_wait(): spin while the input buffer is full; then outb(0xfe, 0x64).
        assertThat(bus.read(COMMAND_PORT, 1) & STATUS_INPUT_FULL).isZero();
        bus.write(COMMAND_PORT, 1, 0xfe);
        assertThat(resets).hasValue(1);
    }

    @Test
    void pulsingOtherOutputLinesDoesNotReset() {
        bus.write(COMMAND_PORT, 1, 0xff); // pulse nothing
        bus.write(COMMAND_PORT, 1, 0xfd); // pulse line 1 only
        assertThat(resets).hasValue(0);
        bus.write(COMMAND_PORT, 1, 0xf0); // all four lines, reset among them
        assertThat(resets).hasValue(1);
    }

    @Test
    void writingTheOutputPortWithResetLowResets() {
        bus.write(COMMAND_PORT, 1, READ_OUTPUT_PORT);
        assertThat(bus.read(DATA_PORT, 1)).isEqualTo(OUTPUT_RESET_HIGH | OUTPUT_A20);
        bus.write(COMMAND_PORT, 1, WRITE_OUTPUT_PORT);
        bus.write(DATA_PORT, 1, OUTPUT_A20);
        assertThat(resets).hasValue(1);
    }

    @Test
    void selfTestAnswers0x55InTheOutputBuffer() {
        assertThat(bus.read(COMMAND_PORT, 1) & STATUS_OUTPUT_FULL).isZero();
        bus.write(COMMAND_PORT, 1, SELF_TEST);
        assertThat(bus.read(COMMAND_PORT, 1) & STATUS_OUTPUT_FULL).isEqualTo(STATUS_OUTPUT_FULL);
        assertThat(bus.read(DATA_PORT, 1)).isEqualTo(0x55);
        assertThat(bus.read(COMMAND_PORT, 1) & STATUS_OUTPUT_FULL).isZero();
        assertThat(resets).hasValue(0);
    }

    @Test
    void theCommandByteCanBeWrittenAndReadBack() {
        bus.write(COMMAND_PORT, 1, WRITE_COMMAND_BYTE);
        bus.write(DATA_PORT, 1, 0x65);
        bus.write(COMMAND_PORT, 1, READ_COMMAND_BYTE);
        assertThat(bus.read(DATA_PORT, 1)).isEqualTo(0x65);

        bus.write(COMMAND_PORT, 1, DISABLE_KEYBOARD);
        bus.write(COMMAND_PORT, 1, READ_COMMAND_BYTE);
        assertThat(bus.read(DATA_PORT, 1)).isEqualTo(0x65 | CMD_KEYBOARD_DISABLED);
    }

    @Test
    void unknownCommandsAndKeyboardBytesAreAcceptedAndIgnored() {
        bus.write(COMMAND_PORT, 1, 0xd3); // write AUX output buffer: no mouse here
        bus.write(DATA_PORT, 1, 0x5a);
        bus.write(DATA_PORT, 1, 0xf2); // "identify" to a keyboard that is not there
        assertThat(bus.read(COMMAND_PORT, 1) & (STATUS_OUTPUT_FULL | STATUS_INPUT_FULL)).isZero();
        assertThat(resets).hasValue(0);
        assertThat(bus.counters().totalFaults()).isZero();
        // The ports between data and command belong to other chips.
        bus.read(0x61, 1);
        assertThat(bus.counters().unclaimedReadsAt(0x61)).isEqualTo(1);
    }
}
