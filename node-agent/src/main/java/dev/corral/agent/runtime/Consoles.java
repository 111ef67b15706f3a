package dev.corral.agent.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.corral.agent.reconcile.Desired;
import dev.corral.engine.devices.legacy.ConsoleBuffer;

/**
 * The serial console of each workload: a bounded ring in memory for readers and followers, teed to
 * {@code <dir>/<uid>.log} (rotated to {@code <uid>.log.1} at eight times the ring, so two files at most). A workload keeps one console across its restarts, so what a crashed guest said last is
 * still there to read; the console goes when the workload is deleted.
 */
public final class Consoles implements AutoCloseable {

    private final Path directory;
    private final int capacity;
    private final Map<String, ConsoleBuffer> consoles = new ConcurrentHashMap<>();
    private final Map<String, java.util.Set<Runnable>> removeHooks = new ConcurrentHashMap<>();

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

    /** Closes the workload's console and removes its log. */
    public void remove(String uid) {
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
        removeHooks.values().forEach(hooks -> hooks.forEach(Runnable::run)); // followers end
        removeHooks.clear();
        consoles.values().forEach(ConsoleBuffer::close);
        consoles.clear();
    }
}
