package dev.corral.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import dev.corral.cli.client.CorralClientException;

/**
 * The controlling terminal in raw mode ({@code stty raw -echo}, as {@code virsh console} puts it), so that every key
 * goes to the guest as it is pressed, Ctrl-C included. The settings it found are restored on {@link #close} and,
 * should the JVM be ended instead (a signal), by a shutdown hook.
 */
final class RawTerminal implements AutoCloseable {

    private static final File TTY = new File("/dev/tty");

    private final String saved;
    private final Thread restoreAtExit;
    private boolean restored;

    private RawTerminal(String saved) {
        this.saved = saved;
        this.restoreAtExit = new Thread(this::restore, "corral-restore-terminal");
    }

    /** Puts the terminal in raw mode; a terminal that cannot be is a one-line error. */
    static RawTerminal enter() {
        var terminal = new RawTerminal(stty("-g").strip());
        Runtime.getRuntime().addShutdownHook(terminal.restoreAtExit);
        try {
            stty("raw", "-echo");
        } catch (CorralClientException e) {
            terminal.close();
            throw e;
        }
        return terminal;
    }

    @Override
    public void close() {
        restore();
        try {
            Runtime.getRuntime().removeShutdownHook(restoreAtExit);
        } catch (IllegalStateException e) {
            // The JVM is shutting down: the hook runs (and finds the terminal restored).
        }
    }

    private synchronized void restore() {
        if (!restored) {
            restored = true;
            stty(saved);
        }
    }

    /** Runs stty on the controlling terminal; returns what it printed. */
    private static String stty(String... args) {
        var command = new java.util.ArrayList<String>();
        command.add("stty");
        command.addAll(java.util.List.of(args));
        try {
            var process = new ProcessBuilder(command).redirectInput(TTY).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new CorralClientException("cannot set the terminal up for the console: 'stty " + String.join(" ", args) + "' failed");
            }
            return out;
        } catch (IOException e) {
            throw new CorralClientException("cannot set the terminal up for the console: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CorralClientException("interrupted while setting the terminal up", e);
        }
    }
}
