package dev.corral.agent.reconcile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.corral.agent.reconcile.Observed.State;
import org.jboss.logging.Logger;

/**
 * What this agent has of each workload, on disk: its identity, its observed state and the sequence number of its
 * last lifecycle event. One small file per workload, replaced atomically (written, fsynced, renamed) on every change,
 * so an agent that restarts knows which sequence numbers it already used (consumers drop an event whose sequence is
 * not newer) and which workloads it was running: those died with the old process and come back as
 * {@link State#LOST}.
 */
public final class WorkloadLedger {

    private static final Logger LOG = Logger.getLogger(WorkloadLedger.class);

    /** One workload: the last sequence number used for it, what was last wanted of it, and what the agent has of it. */
    public record Entry(String uid, long sequence, Desired desired, Observed observed) {
        Entry withObserved(Observed o) {
            return new Entry(uid, sequence, desired, o);
        }

        Entry withSequence(long s) {
            return new Entry(uid, s, desired, observed);
        }
    }

    private final Path directory;
    private final ObjectMapper json;
    private final Map<String, Entry> entries = new HashMap<>();

    private WorkloadLedger(Path directory, ObjectMapper json) {
        this.directory = directory;
        this.json = json;
    }

    /** Opens the ledger; what was active when the previous agent stopped is now LOST. */
    public static WorkloadLedger open(Path directory, ObjectMapper json) {
        var ledger = new WorkloadLedger(directory, json);
        try {
            Files.createDirectories(directory);
            try (var files = Files.list(directory)) {
                for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".json")).toList()) {
                    ledger.load(file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the workload ledger in " + directory + ": " + e.getMessage(), e);
        }
        return ledger;
    }

    private void load(Path file) throws IOException {
        Entry entry;
        try {
            entry = json.readValue(file.toFile(), Entry.class);
        } catch (IOException e) {
            // A file this agent cannot read was not written whole by it (the rename makes writes all-or-nothing):
            // set it aside rather than refuse to start.
            Path aside = file.resolveSibling(file.getFileName() + ".unreadable");
            Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            LOG.warnf("workload ledger file %s is unreadable (%s); moved to %s", file, e.getMessage(), aside);
            return;
        }
        var observed = entry.observed();
        if (observed != null && observed.state().active()) {
            entry = entry.withObserved(observed.with(State.LOST, "AgentRestarted"));
        }
        entries.put(entry.uid(), entry);
    }

    public synchronized Optional<Entry> get(String uid) {
        return Optional.ofNullable(entries.get(uid));
    }

    public synchronized Observed observed(String uid) {
        var e = entries.get(uid);
        return e == null ? null : e.observed();
    }

    public synchronized List<Entry> all() {
        return List.copyOf(entries.values());
    }

    /** Records the workload's new observed state and what is wanted of it now. */
    public synchronized Entry record(Desired desired, Observed observed) {
        var old = entries.get(desired.uid());
        var entry = new Entry(desired.uid(), old == null ? 0 : old.sequence(), desired, observed);
        save(entry);
        return entry;
    }

    /** Updates the observed state of a workload the ledger has; false if it has none. */
    public synchronized boolean update(String uid, Observed observed) {
        var old = entries.get(uid);
        if (old == null) {
            return false;
        }
        save(old.withObserved(observed));
        return true;
    }

    /** Takes the workload's next sequence number, durably: a number once handed out is never handed out again. */
    public synchronized long nextSequence(String uid) {
        var old = entries.get(uid);
        if (old == null) {
            throw new IllegalStateException("workload " + uid + " is not in the ledger");
        }
        var next = old.withSequence(old.sequence() + 1);
        save(next);
        return next.sequence();
    }

    /** Moves the sequence forward to at least {@code floor} (what the control plane already applied). */
    public synchronized void raiseSequence(String uid, long floor) {
        var old = entries.get(uid);
        if (old != null && old.sequence() < floor) {
            save(old.withSequence(floor));
        }
    }

    public synchronized void remove(String uid) {
        entries.remove(uid);
        try {
            Files.deleteIfExists(file(uid));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + file(uid) + ": " + e.getMessage(), e);
        }
    }

    private void save(Entry entry) {
        Path target = file(entry.uid());
        Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            try (var channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                channel.write(ByteBuffer.wrap(json.writeValueAsBytes(entry)));
                channel.force(true);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
        entries.put(entry.uid(), entry);
    }

    private Path file(String uid) {
        return directory.resolve(Desired.fileSafe(uid) + ".json");
    }
}
