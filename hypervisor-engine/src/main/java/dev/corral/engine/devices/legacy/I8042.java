package dev.corral.engine.devices.legacy;

import java.util.Objects;

import dev.corral.engine.machine.BytePortIoDevice;
import dev.corral.engine.machine.PortIoDevice;

/**
 * Just enough of the Intel 8042 PS/2 controller for a guest to reboot through it ({@code reboot=k}) and for
 * Linux's i8042 probe to finish quickly. No keyboard or mouse sits behind it: bytes for the keyboard are
 * dropped and nothing ever arrives from one, so no interrupt is raised either.
 *
 * <p>The controller answers on two ports that are not adjacent (0x61-0x63 belong to other chips), so it is
 * registered as two one-port devices: {@link #dataPort()} at 0x60 and {@link #commandPort()} at 0x64.
 *
 * <p>Pulsing the reset line (command 0xfe, or any 0xf0-0xff with bit 0 clear, or writing the output port with
 * bit 0 clear) calls the reset callback, on the vCPU thread; it should only ask the VM to stop with reason
 * {@code guest-reset}. Commands are processed instantly, so the input buffer is never full.
 */
public final class I8042 {

    public static final int DATA_PORT = 0x60;
    public static final int COMMAND_PORT = 0x64;

    // Status register bits (read from 0x64).
    static final int STATUS_OUTPUT_FULL = 0x01, STATUS_INPUT_FULL = 0x02, STATUS_SYSTEM = 0x04;
    static final int STATUS_LAST_WAS_COMMAND = 0x08, STATUS_NOT_INHIBITED = 0x10;

    // Controller commands (written to 0x64).
    static final int READ_COMMAND_BYTE = 0x20, WRITE_COMMAND_BYTE = 0x60;
    static final int DISABLE_AUX = 0xa7, ENABLE_AUX = 0xa8, SELF_TEST = 0xaa, KEYBOARD_TEST = 0xab;
    static final int DISABLE_KEYBOARD = 0xad, ENABLE_KEYBOARD = 0xae;
    static final int READ_OUTPUT_PORT = 0xd0, WRITE_OUTPUT_PORT = 0xd1;
    static final int PULSE_OUTPUT_LOW = 0xf0; // 0xf0-0xff: bits 0-3 clear select the lines to pulse

    static final int SELF_TEST_PASSED = 0x55, INTERFACE_TEST_PASSED = 0x00;

    // Command byte bits.
    static final int CMD_KEYBOARD_INTERRUPT = 0x01, CMD_SYSTEM = 0x04, CMD_KEYBOARD_DISABLED = 0x10;
    static final int CMD_AUX_DISABLED = 0x20, CMD_TRANSLATE = 0x40;

    // Output port bits: bit 0 low holds the CPU in reset; bit 1 is the A20 gate.
    static final int OUTPUT_RESET_HIGH = 0x01, OUTPUT_A20 = 0x02;

    private final Runnable reset;
    private int commandByte = CMD_KEYBOARD_INTERRUPT | CMD_SYSTEM | CMD_TRANSLATE;
    private int outputPort = OUTPUT_RESET_HIGH | OUTPUT_A20;
    private int outputBuffer;
    private boolean outputFull;
    private boolean lastWasCommand;
    private boolean systemFlag = true; // the BIOS ran the self-test before the guest started
    private int awaitingData = -1;     // the command whose parameter the next data byte is

    public I8042(Runnable reset) {
        this.reset = Objects.requireNonNull(reset, "reset");
    }

    /** Port 0x60: output buffer on read, data or command parameter on write. */
    public PortIoDevice dataPort() {
        return new BytePortIoDevice() {
            @Override
            public int readByte(int offset) {
                return readData();
            }

            @Override
            public void writeByte(int offset, int value) {
                writeData(value);
            }
        };
    }

    /** Port 0x64: status on read, controller command on write. */
    public PortIoDevice commandPort() {
        return new BytePortIoDevice() {
            @Override
            public int readByte(int offset) {
                return status();
            }

            @Override
            public void writeByte(int offset, int value) {
                command(value);
            }
        };
    }

    private synchronized int status() {
        return (outputFull ? STATUS_OUTPUT_FULL : 0)
                | (systemFlag ? STATUS_SYSTEM : 0)
                | (lastWasCommand ? STATUS_LAST_WAS_COMMAND : 0)
                | STATUS_NOT_INHIBITED;
    }

    private synchronized int readData() {
        outputFull = false;
        return outputBuffer; // reading an empty buffer gives the last byte again, as the chip does
    }

    private synchronized void command(int value) {
        lastWasCommand = true;
        awaitingData = -1;
        switch (value) {
            case READ_COMMAND_BYTE -> respond(commandByte);
            case WRITE_COMMAND_BYTE, WRITE_OUTPUT_PORT -> awaitingData = value;
            case DISABLE_AUX -> commandByte |= CMD_AUX_DISABLED;
            case ENABLE_AUX -> commandByte &= ~CMD_AUX_DISABLED;
            case SELF_TEST -> {
                systemFlag = true;
                respond(SELF_TEST_PASSED);
            }
            case KEYBOARD_TEST -> respond(INTERFACE_TEST_PASSED);
            case DISABLE_KEYBOARD -> commandByte |= CMD_KEYBOARD_DISABLED;
            case ENABLE_KEYBOARD -> commandByte &= ~CMD_KEYBOARD_DISABLED;
            case READ_OUTPUT_PORT -> respond(outputPort);
            default -> {
                if (value >= PULSE_OUTPUT_LOW && (value & OUTPUT_RESET_HIGH) == 0) {
                    reset.run();
                }
                // Anything else (AUX commands, password, test inputs) is accepted and has no effect: with no
                // mouse behind the controller, a guest's probe that gets no answer concludes there is none.
            }
        }
    }

    private synchronized void writeData(int value) {
        lastWasCommand = false;
        int pending = awaitingData;
        awaitingData = -1;
        switch (pending) {
            case WRITE_COMMAND_BYTE -> {
                commandByte = value;
                systemFlag = (value & CMD_SYSTEM) != 0;
            }
            case WRITE_OUTPUT_PORT -> {
                outputPort = value;
                if ((value & OUTPUT_RESET_HIGH) == 0) {
                    reset.run();
                }
            }
            default -> { } // a byte for the keyboard: there is none
        }
    }

    private void respond(int value) {
        outputBuffer = value;
        outputFull = true;
    }
}
