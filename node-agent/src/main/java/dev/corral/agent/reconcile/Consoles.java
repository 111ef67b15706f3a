package dev.corral.agent.reconcile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.corral.engine.devices.legacy.ConsoleBuffer;

/**
 * The serial console of each workload: a bounded ring in memory for readers and followers, teed to
 * {@code <dir>/<uid>.log} (rotated to {@code <uid>.log.1} at eight times the ring, so two files at most). A workload keeps one console across its restarts, so what a crashed guest said last is
 * still there to read; the console goes when the workload is deleted.
 *
 * <p>While a workload runs, its console also takes input: the runtime's way to type into the guest is connected
 * when it starts and disconnected when it ends, and whoever is attached hears of the end.
 */
public final class Consoles implements AutoCloseable {

    /** Keystrokes for a running workload's serial console; returns how many bytes were taken (the rest dropped). */
    @FunctionalInterface
    public interface Input {
        int send(byte[] bytes);
    }

    private final Path directory;
    private final int capacity;
    private final Map<String, ConsoleBuffer> consoles = new ConcurrentHashMap<>();
    private final Map<String, java.util.Set<Runnable>> removeHooks = new ConcurrentHashMap<>();
    private final Map<String, Input> inputs = new ConcurrentHashMap<>();
    private final Map<String, java.util.Set<Runnable>> inputHooks = new ConcurrentHashMap<>();

    public Consoles(Path directory, int capacity) {
        this.directory = directory;
        this.capacity = capacity;
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the console directory " + directory + ": " + e.getMessage(), e);
        }
    }

    /** The workload's console, created on first use; what an earlier agent kept in its log is held again. */
    public ConsoleBuffer open(String uid) {
        return consoles.computeIfAbsent(uid, u -> ConsoleBuffer.resuming(capacity, log(u)));
    }

    private Path log(String uid) {
        return directory.resolve(Desired.fileSafe(uid) + ".log");
    }

    public Optional<ConsoleBuffer> find(String uid) {
        return Optional.ofNullable(consoles.get(uid));
    }

    /** Runs {@code hook} when the workload's console is removed (a follower ends its stream). */
    public void onRemove(String uid, Runnable hook) {
        removeHooks.computeIfAbsent(uid, u -> ConcurrentHashMap.newKeySet()).add(hook);
    }

    public void cancelOnRemove(String uid, Runnable hook) {
        var hooks = removeHooks.get(uid);
        if (hooks != null) {
            hooks.remove(hook);
        }
    }

    /** The workload runs: {@code input} types into its console until {@link #disconnectInput} says it ended. */
    public void connectInput(String uid, Input input) {
        inputs.put(uid, java.util.Objects.requireNonNull(input, "input"));
    }

    /**
     * The run that connected {@code input} ended: its console takes no more input, and every hook registered with
     * {@link #onInputGone} runs (attached users are told). A later run's input is left alone.
     */
    public void disconnectInput(String uid, Input input) {
        if (inputs.remove(uid, input)) {
            runHooks(inputHooks.remove(uid));
        }
    }

    /** How to type into the workload, while it runs. */
    public Optional<Input> input(String uid) {
        return Optional.ofNullable(inputs.get(uid));
    }

    /**
     * Runs {@code hook} once when the workload's input is disconnected (it ended) or its console removed. Returns
     * false, without registering it, when no input is connected now: the caller looked too late.
     */
    public boolean onInputGone(String uid, Runnable hook) {
        var hooks = inputHooks.computeIfAbsent(uid, u -> ConcurrentHashMap.newKeySet());
        hooks.add(hook);
        if (!inputs.containsKey(uid)) {
            // Disconnected meanwhile: whoever disconnected may have run the hooks before this one was added.
            hooks.remove(hook);
            return false;
        }
        return true;
    }

    public void cancelOnInputGone(String uid, Runnable hook) {
        var hooks = inputHooks.get(uid);
        if (hooks != null) {
            hooks.remove(hook);
        }
    }

    private static void runHooks(java.util.Set<Runnable> hooks) {
        if (hooks != null) {
            hooks.forEach(Runnable::run);
        }
    }

    /** Closes the workload's console and removes its log. */
    public void remove(String uid) {
        inputs.remove(uid);
        runHooks(inputHooks.remove(uid));
        var hooks = removeHooks.remove(uid);
        if (hooks != null) {
            hooks.forEach(Runnable::run);
        }
        var console = consoles.remove(uid);
        if (console != null) {
            console.close();
        }
        try {
            Files.deleteIfExists(log(uid));
            Files.deleteIfExists(log(uid).resolveSibling(uid + ".log.1")); // the rotated part
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the console log of " + uid + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        inputs.clear();
        inputHooks.values().forEach(Consoles::runHooks); // attached users are told
        inputHooks.clear();
        removeHooks.values().forEach(hooks -> hooks.forEach(Runnable::run)); // followers end
        removeHooks.clear();
        consoles.values().forEach(ConsoleBuffer::close);
        consoles.clear();
    }
}
