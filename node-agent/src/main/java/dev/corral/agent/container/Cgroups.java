package dev.corral.agent.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The node's cgroups as far as containers need them. Each container run gets a cgroup of the agent's,
 * {@code corral/<uid>}, that holds its memory limit, and runc puts the container one level below it
 * ({@code corral/<uid>/c}, with the CPU and pids limits). Holding the memory limit one level up is what lets the
 * agent tell an OOM kill afterwards: the out-of-memory event is counted in the cgroup whose limit was hit, and
 * runc removes its own cgroup as soon as the container ends, while the agent's stays until it has read it.
 *
 * <p>On cgroup v2 the agent's cgroup counts the OOM kills below it ({@code memory.events}, hierarchical). On v1 the
 * kill is counted only in the victim's own cgroup, which runc has removed by the time the agent looks, so there the
 * agent registers an eventfd for the out-of-memory notifications of its cgroup ({@code cgroup.event_control}), which
 * fire for an OOM of its limit whatever cgroup below holds the victim.
 *
 * <p>Both layouts are handled, detected from {@code /sys/fs/cgroup}: the unified hierarchy (cgroup v2, a
 * {@code cgroup.controllers} file at the top) and v1 with one mount per controller (what this project's hosts have,
 * beside an empty v2 {@code unified} mount: "hybrid").
 */
public final class Cgroups {

    /** The layout of the node's cgroups. */
    public enum Layout {
        /** cgroup v2: one hierarchy. */
        UNIFIED,
        /** cgroup v1, one hierarchy per controller (perhaps with an empty v2 mount beside them). */
        V1
    }

    static final String PARENT = "corral";

    private final Path root;
    private final Layout layout;

    Cgroups(Path root, Layout layout) {
        this.root = root;
        this.layout = layout;
    }

    /** The cgroups under {@code root} (normally {@code /sys/fs/cgroup}). */
    public static Cgroups detect(Path root) throws IOException {
        if (Files.exists(root.resolve("cgroup.controllers"))) {
            return new Cgroups(root, Layout.UNIFIED);
        }
        if (Files.isDirectory(root.resolve("memory")) && Files.exists(root.resolve("memory").resolve("memory.limit_in_bytes"))) {
            return new Cgroups(root, Layout.V1);
        }
        throw new IOException("no usable cgroup hierarchy under " + root + ": neither cgroup v2 (cgroup.controllers) nor a v1 memory controller");
    }

    public Layout layout() {
        return layout;
    }

    /** The cgroup path runc is given for the container ({@code linux.cgroupsPath}). */
    static String runcPath(String uid) {
        return "/" + PARENT + "/" + uid + "/c";
    }

    /**
     * Watches a run's cgroup for out-of-memory kills, from {@link #prepare} until closed (which the run does after
     * {@link #oomKills}).
     */
    static final class OomWatch implements AutoCloseable {
        private final int eventfd;
        private final int control;

        private OomWatch(int eventfd, int control) {
            this.eventfd = eventfd;
            this.control = control;
        }

        static final OomWatch NONE = new OomWatch(-1, -1);

        /** Out-of-memory events since the watch began (v1); 0 on v2, where the counter file says. */
        long events() {
            try {
                return eventfd < 0 ? 0 : HostCalls.readEventfd(eventfd);
            } catch (IOException e) {
                return 0;
            }
        }

        @Override
        public void close() {
            if (eventfd >= 0) {
                HostCalls.close(eventfd);
                HostCalls.close(control);
            }
        }
    }

    /** Creates the run's cgroup with its memory limit (and no swap beyond it), replacing a leftover one. */
    OomWatch prepare(String uid, long memoryBytes) throws IOException {
        remove(uid);
        if (layout == Layout.UNIFIED) {
            enable(root);
            Files.createDirectories(root.resolve(PARENT));
            enable(root.resolve(PARENT));
            Path group = root.resolve(PARENT).resolve(uid);
            Files.createDirectories(group);
            write(group.resolve("memory.max"), Long.toString(memoryBytes));
            if (Files.exists(group.resolve("memory.swap.max"))) {
                write(group.resolve("memory.swap.max"), "0");
            }
        } else {
            Path group = root.resolve("memory").resolve(PARENT).resolve(uid);
            Files.createDirectories(group);
            write(group.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
            if (Files.exists(group.resolve("memory.memsw.limit_in_bytes"))) {
                write(group.resolve("memory.memsw.limit_in_bytes"), Long.toString(memoryBytes));
            }
            return watch(uid);
        }
        return OomWatch.NONE;
    }

    /**
     * Watches the run's existing cgroup for out-of-memory kills from now on: on v1 an eventfd registered for its
     * {@code memory.oom_control} notifications; on v2 nothing is needed ({@code memory.events} counts them).
     */
    OomWatch watch(String uid) throws IOException {
        if (layout == Layout.UNIFIED) {
            return OomWatch.NONE;
        }
        Path group = root.resolve("memory").resolve(PARENT).resolve(uid);
        int eventfd = HostCalls.eventfd();
        int control;
        try {
            control = HostCalls.openReadOnly(group.resolve("memory.oom_control"));
        } catch (IOException e) {
            HostCalls.close(eventfd);
            throw e;
        }
        var watch = new OomWatch(eventfd, control);
        try {
            write(group.resolve("cgroup.event_control"), eventfd + " " + control);
        } catch (IOException e) {
            watch.close();
            throw e;
        }
        return watch;
    }

    /** Lets the children of {@code group} have the memory, pids and cpu controllers (v2 only). */
    private static void enable(Path group) throws IOException {
        String enabled = Files.readString(group.resolve("cgroup.subtree_control"));
        for (String controller : List.of("memory", "pids", "cpu")) {
            if (!(" " + enabled.trim() + " ").contains(" " + controller + " ")) {
                write(group.resolve("cgroup.subtree_control"), "+" + controller);
            }
        }
    }

    /** How many out-of-memory kills (v2) or events (v1) the run had: more than zero means it was OOM-killed. */
    long oomKills(String uid, OomWatch watch) {
        if (layout == Layout.V1) {
            return watch.events();
        }
        Path file = root.resolve(PARENT).resolve(uid).resolve("memory.events");
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("oom_kill ")) {
                    return Long.parseLong(line.substring("oom_kill ".length()).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Gone or unreadable: no OOM kill that can be told.
        }
        return 0;
    }

    /**
     * Removes the run's cgroups in every hierarchy (runc's own below the agent's, should one be left). A cgroup that
     * still has processes cannot be removed: that is an error, for the caller to retry after killing them.
     */
    void remove(String uid) throws IOException {
        for (Path group : groups(uid)) {
            try (var children = Files.list(group)) {
                for (Path child : children.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                    rmdir(child);
                }
            } catch (NoSuchFileException e) {
                continue;
            }
            rmdir(group);
        }
    }

    /** The run's cgroups that exist now, in any hierarchy (the tests count them to prove a clean removal). */
    public List<Path> groups(String uid) throws IOException {
        var found = new ArrayList<Path>();
        if (layout == Layout.UNIFIED) {
            addIfDirectory(found, root.resolve(PARENT).resolve(uid));
        } else {
            try (var hierarchies = Files.list(root)) {
                for (Path h : hierarchies.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                    addIfDirectory(found, h.resolve(PARENT).resolve(uid));
                }
            }
        }
        return found;
    }

    private static void addIfDirectory(List<Path> found, Path p) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            found.add(p);
        }
    }

    private static void rmdir(Path group) throws IOException {
        try {
            Files.delete(group); // rmdir: a cgroup's files are not real and go with it
        } catch (NoSuchFileException e) {
            // already gone
        } catch (IOException e) {
            throw new IOException("cannot remove cgroup " + group + " (does it still hold processes?): " + e.getMessage(), e);
        }
    }

    private static void write(Path file, String value) throws IOException {
        Files.writeString(file, value);
    }
}
