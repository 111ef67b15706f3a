package dev.corral.agent.container;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.corral.agent.reconcile.Desired;
import dev.corral.agent.reconcile.WorkloadRuntime;
import dev.corral.agent.runtime.EngineRuntime;
import dev.corral.agent.runtime.ImageCache;
import dev.corral.api.ExecResult;
import dev.corral.api.Image;
import dev.corral.engine.devices.legacy.ConsoleSink;
import org.jboss.logging.Logger;

/**
 * Runs Containers with runc. A start fetches the image's layers (each unpacked once per node, {@link LayerStore}),
 * mounts an overlay root for the container (the layers below, its own upper directory above: one copy of an image
 * for any number of containers), creates its cgroup with the memory limit ({@link Cgroups}), writes its OCI bundle
 * ({@link Bundle}) and runs {@code runc run} in the foreground as the agent's child: the container's stdout and stderr
 * come through runc into its console (the same bounded, rotated store as a VM's), and runc's exit status is the
 * container's. How it ended becomes Completed (exit 0), Error (any other) or OOMKilled (the kernel killed it for
 * memory), or StopRequested/StopForced when it was asked to stop: SIGTERM, and SIGKILL when the grace runs out.
 *
 * <p>After each run the rootfs is unmounted and the cgroups removed; runc's state goes with the run. Deleting the
 * container removes its upper directory. A container that an earlier agent process left running (the agent
 * crashed) is not adopted: {@link #cleanUpLeftovers} kills and removes it when the agent starts, and the workload
 * ledger reports it lost, so its restart policy brings it back.
 */
public final class ContainerRuntime implements WorkloadRuntime {

    private static final Logger LOG = Logger.getLogger(ContainerRuntime.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_EXEC_OUTPUT = 1 << 20;

    private final EngineRuntime.Images images;
    private final LayerStore layers;
    private final Path runs;
    private final Runc runc;
    private final Cgroups cgroups;
    private final ContainerNetwork network;
    private final ObjectMapper json;
    /** The containers taken over from an earlier agent process that still run: not leftovers. */
    private final java.util.Set<String> adopted = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Why containers cannot run on this node; null when they can. */
    private final String unavailable;

    /** A container that is not running was asked to run a process. */
    public static final class NotRunningException extends Exception {
        NotRunningException(String message) {
            super(message);
        }
    }

    /**
     * @param stateDir where the runs' directories ({@code runs/<uid>}) and runc's state ({@code runc/}) are kept
     * @param binary   {@code runc} or {@code crun}, found on PATH or given as a path
     * @param cgroups  the node's cgroups; null when none could be found (containers then fail to start, saying why)
     */
    public ContainerRuntime(EngineRuntime.Images images, LayerStore layers, Path stateDir, String binary, Cgroups cgroups,
            ObjectMapper json) {
        this(images, layers, stateDir, binary, cgroups, dev.corral.agent.runtime.VmNetwork.none("no network given"), json);
    }

    /** @param network the node's network (bridge and subnet), which containers with {@code network: attached} join */
    public ContainerRuntime(EngineRuntime.Images images, LayerStore layers, Path stateDir, String binary, Cgroups cgroups,
            dev.corral.agent.runtime.VmNetwork network, ObjectMapper json) {
        this.network = new ContainerNetwork(network);
        this.images = images;
        this.layers = layers;
        this.runs = stateDir.resolve("runs");
        this.json = json;
        this.cgroups = cgroups;
        try {
            Files.createDirectories(runs);
            Files.createDirectories(stateDir.resolve("runc"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + runs + ": " + e.getMessage(), e);
        }
        this.runc = new Runc(binary, stateDir.resolve("runc"), json);
        var version = runc.version();
        if (version.isEmpty()) {
            unavailable = binary + " does not run on this node" + ("runc".equals(binary) ? " (install the Debian package runc)" : "");
        } else if (cgroups == null) {
            unavailable = "this node has no usable cgroup hierarchy under /sys/fs/cgroup";
        } else {
            unavailable = RuntimeProbe.probe(runc, cgroups, runs, json).orElse(null);
        }
    }

    /** Why containers cannot run here, or empty when they can. */
    public java.util.Optional<String> unavailable() {
        return java.util.Optional.ofNullable(unavailable);
    }

    public String describe() {
        return unavailable != null ? "none (" + unavailable + ")"
                : runc.binary() + " on cgroup " + (cgroups.layout() == Cgroups.Layout.UNIFIED ? "v2" : "v1");
    }

    /**
     * Kills and removes whatever an earlier agent process left under this agent's runc root and did not get taken over
     * ({@link #adopt}): call it after the adoptions.
     */
    public void cleanUpLeftovers() {
        if (unavailable != null) {
            return;
        }
        try {
            for (String id : runc.list()) {
                if (adopted.contains(id)) {
                    continue;
                }
                LOG.infof("container %s was left by an earlier agent process; removing it (its restart policy brings it back)", id);
                cleanUp(id);
            }
            try (var dirs = Files.list(runs)) {
                for (Path dir : dirs.toList()) {
                    String uid = dir.getFileName().toString();
                    if (adopted.contains(uid)) {
                        continue;
                    }
                    Mounts.unmountIfMounted(dir.resolve("rootfs"));
                    cgroups.remove(uid);
                }
            }
        } catch (IOException e) {
            LOG.warnf("cleaning up containers of an earlier agent process failed: %s", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Handle start(Desired desired, ConsoleSink console, Listener listener) throws StartException {
        if (unavailable != null) {
            throw new StartException("RuntimeUnavailable", "containers cannot run on this node: " + unavailable);
        }
        String uid = Desired.fileSafe(desired.uid());
        long began = System.nanoTime();
        var spec = desired.container() != null ? desired.container() : new Desired.ContainerSpec(null, null, null, null, 1024, false);
        Image.ContainerImage image;
        List<Path> lower;
        try {
            var found = images.find(desired.project(), desired.image());
            if (found == null || found.spec() == null || found.spec().container() == null) {
                throw new StartException("InvalidImage", "image " + desired.image() + " of project " + desired.project()
                        + " is not a container image");
            }
            image = found.spec().container();
            lower = layers.layers(image);
        } catch (LayerUnpacker.BadLayerException e) {
            throw new StartException("InvalidImage", "image " + desired.image() + " has a bad layer: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new StartException("ImageUnavailable", "image " + desired.image() + " of project " + desired.project()
                    + " could not be fetched: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartException("Interrupted", "the agent is stopping", e);
        }
        long fetched = System.nanoTime();
        var args = Bundle.args(spec.command(), spec.args(), image.entrypoint(), image.cmd());
        if (args.isEmpty()) {
            throw new StartException("InvalidSpec", "nothing to run: the container gives no command and image " + desired.image()
                    + " has no Entrypoint or Cmd");
        }
        int userId = 0;
        int groupId = 0;
        if (image.user() != null) {
            String[] parts = image.user().split(":");
            try {
                userId = Integer.parseInt(parts[0]);
                groupId = parts.length > 1 ? Integer.parseInt(parts[1]) : userId;
            } catch (NumberFormatException e) {
                throw new StartException("InvalidImage", "image " + desired.image() + " names user '" + image.user()
                        + "'; only numeric uid[:gid] users are supported");
            }
        }
        Path dir = runs.resolve(uid);
        Path rootfs = dir.resolve("rootfs");
        var files = Runc.RunFiles.in(dir);
        Cgroups.OomWatch oom = Cgroups.OomWatch.NONE;
        try {
            Files.createDirectories(dir.resolve("upper"));
            Files.createDirectories(dir.resolve("work"));
            Files.createDirectories(rootfs);
            Mounts.unmountIfMounted(rootfs); // a run that ended without its cleanup (the agent died)
            runc.delete(uid);
            oom = cgroups.prepare(uid, desired.memoryMiB() << 20);
            String netns = desired.network() != null ? network.attach(desired) : null;
            HostCalls.mountOverlay(rootfs, overlayOptions(lower, dir));
            String cwd = spec.workingDir() != null ? spec.workingDir() : image.workingDir() != null ? image.workingDir() : "/";
            var process = new Bundle.Process(args, Bundle.env(image.env(), spec.env()), cwd, userId, groupId, hostname(desired.name()),
                    rootfs.toString(), spec.readOnlyRootFilesystem(), desired.vcpus(), spec.pidsLimit(), Cgroups.runcPath(uid), netns);
            Files.write(dir.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(Bundle.config(json, process)));
            for (Path stale : List.of(files.pidFile(), files.log(), files.exit(), files.output(), files.supervisorLog())) {
                Files.deleteIfExists(stale);
            }
            HostCalls.mkfifo(files.output());
        } catch (StartException e) {
            oom.close();
            cleanUpQuietly(uid);
            throw e;
        } catch (IOException e) {
            oom.close();
            cleanUpQuietly(uid);
            throw new StartException("StartFailed", "preparing container " + desired.name() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            oom.close();
            cleanUpQuietly(uid);
            throw new StartException("Interrupted", "the agent is stopping", e);
        }
        long prepared = System.nanoTime();
        Process run;
        Thread pump;
        RandomAccessFile hold = null;
        try {
            // Read from before the supervisor runs; held open for writing as well until the supervisor holds it (it
            // has once runc wrote the pid file) or has ended, so the output's end is the supervisor's.
            hold = new RandomAccessFile(files.output().toFile(), "rw");
            var output = new FileInputStream(files.output().toFile());
            pump = pump(desired, output, console);
            run = runc.run(uid, files);
        } catch (IOException e) {
            if (hold != null) {
                closeQuietly(hold); // the output thread, if it got going, reads its end
            }
            oom.close();
            cleanUpQuietly(uid);
            throw new StartException("StartFailed", runc.binary() + " could not be run: " + e.getMessage(), e);
        }
        try {
            awaitStarted(run, files.pidFile());
        } catch (InterruptedException e) {
            run.destroyForcibly();
            Thread.currentThread().interrupt();
            closeQuietly(hold);
            oom.close();
            cleanUpQuietly(uid);
            throw new StartException("Interrupted", "the agent is stopping", e);
        } finally {
            closeQuietly(hold);
        }
        if (!Files.exists(files.pidFile())) {
            // runc ended without starting it, or hung for the whole start timeout
            boolean hung = run.isAlive();
            if (hung) {
                run.destroyForcibly();
                try {
                    run.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            joinQuietly(pump);
            String why = runcError(files.log());
            oom.close();
            cleanUpQuietly(uid);
            throw new StartException("StartFailed", "container " + desired.name() + " did not start: "
                    + (why != null ? why : hung ? runc.binary() + " did not start it within " + START_TIMEOUT.toSeconds() + " s"
                            : runc.binary() + " exited with " + run.exitValue()));
        }
        LOG.debugf("container %s: image and layers %d ms, root, cgroups and bundle %d ms, runc to started %d ms", desired.name(),
                (fetched - began) / 1_000_000, (prepared - fetched) / 1_000_000, (System.nanoTime() - prepared) / 1_000_000);
        listener.started(null);
        var run1 = new Run(desired, uid, run, pump, oom, listener);
        Thread.ofVirtual().name("container-wait-" + desired.name()).start(run1::await);
        return run1;
    }

    /**
     * Takes over a container that an earlier agent process started and that outlived it (the agent was killed; its
     * supervisor and runc were not): its output is read on from the FIFO, its end and exit status come from its
     * supervisor, stops and exec work as for one this process started. A container that ended meanwhile is taken
     * over too, and its end reported at once with its exit status. Empty when nothing of it is left to take over
     * (never started, or cleaned up).
     */
    @Override
    public Optional<Handle> adopt(Desired desired, ConsoleSink console, Listener listener) {
        if (unavailable != null) {
            return Optional.empty();
        }
        String uid = Desired.fileSafe(desired.uid());
        var files = Runc.RunFiles.in(runs.resolve(uid));
        Cgroups.OomWatch oom = Cgroups.OomWatch.NONE;
        try {
            boolean ended = Files.exists(files.exit());
            boolean running = runc.status(uid).filter("running"::equals).isPresent();
            if (!Files.exists(files.output()) || (!ended && !running)) {
                return Optional.empty();
            }
            if (!ended) {
                oom = cgroups.watch(uid);
            }
            FileInputStream output;
            // Held for writing only while opening for reading, which then finds a writer and does not wait: from now
            // on the output ends when the supervisor (and the container) have let go of it, at once if they already have.
            try (var hold = new RandomAccessFile(files.output().toFile(), "rw")) {
                output = new FileInputStream(files.output().toFile());
            }
            adopted.add(uid);
            var pump = pump(desired, output, console);
            var run = new Run(desired, uid, null, pump, oom, listener);
            Thread.ofVirtual().name("container-wait-" + desired.name()).start(run::await);
            LOG.infof("container %s outlived an earlier agent process: %s", desired.name(), ended ? "it has ended since" : "it runs on");
            return Optional.of(run);
        } catch (IOException e) {
            oom.close();
            LOG.warnf("container %s cannot be taken over from an earlier agent process: %s", desired.name(), e.getMessage());
            return Optional.empty();
        } catch (InterruptedException e) {
            oom.close();
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // nothing held is lost
        }
    }

    /** Waits until runc says the container's process runs (its pid file) or runc has ended. */
    private static void awaitStarted(Process run, Path pidFile) throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!Files.exists(pidFile) && run.isAlive() && System.nanoTime() < deadline) {
            run.waitFor(5, TimeUnit.MILLISECONDS);
        }
    }

    private static String overlayOptions(List<Path> lower, Path dir) throws IOException {
        var top = new ArrayList<String>();
        for (int i = lower.size() - 1; i >= 0; i--) {
            top.add(lower.get(i).toString()); // overlayfs lists the uppermost lower directory first
        }
        for (String p : top) {
            if (p.contains(",") || p.contains(":")) {
                throw new IOException("layer path " + p + " cannot be an overlay lower directory (it has ',' or ':')");
            }
        }
        String options = "lowerdir=" + String.join(":", top) + ",upperdir=" + dir.resolve("upper") + ",workdir=" + dir.resolve("work");
        if (options.length() > 4000) {
            throw new IOException("the image has too many layers for one overlay mount (" + lower.size()
                    + "); the mount options would be " + options.length() + " bytes, more than a page");
        }
        return options;
    }

    private static String hostname(String name) {
        String h = name.toLowerCase().replaceAll("[^a-z0-9-]", "-");
        return h.length() > 63 ? h.substring(0, 63) : h;
    }

    /**
     * Copies the container's output into its console on a platform thread of its own: a read from a FIFO blocks in
     * the kernel, and on a virtual thread it would hold one of the few carrier threads for as long as the container
     * is quiet (two quiet containers stopped every other virtual thread on a two-core node).
     */
    private static Thread pump(Desired desired, InputStream output, ConsoleSink console) {
        return Thread.ofPlatform().daemon().stackSize(256 * 1024).name("container-output-" + desired.name())
                .start(() -> copy(output, console));
    }

    private static void copy(InputStream in, ConsoleSink console) {
        var buffer = new byte[8192];
        try (in) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                console.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // runc ended: nothing more comes.
        }
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The exit status the supervisor recorded; null when it recorded none (it was killed itself). */
    private static Integer exitStatus(Path exit) {
        try {
            return Integer.valueOf(Files.readString(exit).trim());
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /** The last error runc logged, as its sentence. */
    private String runcError(Path log) {
        try {
            String last = null;
            for (String line : Files.readAllLines(log)) {
                var entry = json.readTree(line);
                if ("error".equals(entry.path("level").asText()) || "fatal".equals(entry.path("level").asText())) {
                    last = entry.path("msg").asText();
                }
            }
            return last;
        } catch (IOException e) {
            return null;
        }
    }

    /** Removes what a run holds on the host: runc's state (killing what still runs), the rootfs mount, the cgroups. */
    private void cleanUp(String uid) throws IOException, InterruptedException {
        runc.delete(uid);
        Mounts.unmountIfMounted(runs.resolve(uid).resolve("rootfs"));
        cgroups.remove(uid);
        network.release(uid);
    }

    private void cleanUpQuietly(String uid) {
        try {
            cleanUp(uid);
        } catch (IOException e) {
            LOG.warnf("cleaning up after container %s failed: %s", uid, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Removes the container's directory (its upper layer): it was deleted. Its last run has been closed. */
    @Override
    public void delete(String uid) {
        Path dir = runs.resolve(Desired.fileSafe(uid));
        if (!Files.exists(dir)) {
            return;
        }
        try {
            if (unavailable == null) {
                cleanUp(uid);
            }
            if (Mounts.isMountedUnder(dir)) {
                throw new IOException("something is still mounted under " + dir + "; not removing it");
            }
            Tree.delete(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot remove container " + uid + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while removing container " + uid, e);
        }
    }

    /**
     * Runs a process in the running container; its output (first MiB) and exit code come back.
     *
     * @throws NotRunningException the container does not run on this node now
     */
    public ExecResult exec(String uid, List<String> command, Duration timeout) throws NotRunningException, IOException, InterruptedException {
        Desired.fileSafe(uid);
        var status = unavailable != null ? Optional.<String>empty() : runc.status(uid);
        if (!"running".equals(status.orElse(""))) {
            throw new NotRunningException("container " + uid + " is not running on this node" + status.map(s -> " (" + s + ")").orElse(""));
        }
        Path pidFile = Files.createTempFile(runs, uid + "-exec-", ".pid");
        try {
            Files.delete(pidFile);
            var exit = runc.exec(uid, command, timeout, MAX_EXEC_OUTPUT, pidFile);
            return new ExecResult(exit.code(), exit.output(), exit.truncated(), exit.timedOut());
        } finally {
            Files.deleteIfExists(pidFile);
        }
    }

    /**
     * One run of a container: its supervisor ({@code process}, null when an earlier agent process started it), the
     * thread copying its output and the thread that waits for its end.
     */
    private final class Run implements Handle {
        private final Desired desired;
        private final String uid;
        private final Process process;
        private final Thread pump;
        private final Cgroups.OomWatch oom;
        private final Listener listener;
        private final CountDownLatch finished = new CountDownLatch(1);
        private final AtomicReference<Duration> graceful = new AtomicReference<>();
        private final AtomicBoolean stopAsked = new AtomicBoolean();
        private final AtomicBoolean forced = new AtomicBoolean();
        private final AtomicBoolean closed = new AtomicBoolean();

        Run(Desired desired, String uid, Process process, Thread pump, Cgroups.OomWatch oom, Listener listener) {
            this.desired = desired;
            this.uid = uid;
            this.process = process;
            this.pump = pump;
            this.oom = oom;
            this.listener = listener;
        }

        /** The output ends when the supervisor has ended (it holds the FIFO to the last); its exit file says how. */
        void await() {
            try {
                pump.join();
                if (process != null) {
                    process.waitFor(); // the supervisor is this process's child: reaped here
                }
            } catch (InterruptedException e) {
                return;
            }
            Integer code = exitStatus(runs.resolve(uid).resolve("exit"));
            long oomKills = cgroups.oomKills(uid, oom);
            oom.close();
            String runcError = code == null || code != 0 ? runcError(runs.resolve(uid).resolve("runc.log")) : null;
            cleanUpQuietly(uid);
            adopted.remove(uid);
            finished.countDown();
            listener.finished(ended(code, oomKills, runcError));
        }

        private Ended ended(Integer code, long oomKills, String runcError) {
            if (code == null) {
                return new Ended(true, "Error", "the container ended, and its supervisor did not record its exit status"
                        + (runcError != null ? " (" + runc.binary() + ": " + runcError + ")" : ""), null);
            }
            if (oomKills > 0) {
                return new Ended(true, "OOMKilled", "the container used more than its memory limit of " + desired.memoryMiB()
                        + " MiB and the kernel killed it (exit code " + code + ")", code);
            }
            if (forced.get()) {
                return new Ended(false, "StopForced", "the container did not stop within " + graceful.get().toSeconds()
                        + " s of SIGTERM; it was killed (exit code " + code + ")", code);
            }
            if (stopAsked.get()) {
                return new Ended(false, "StopRequested", "the container was stopped (exit code " + code + ")", code);
            }
            if (code == 0) {
                return new Ended(false, "Completed", "the container's process exited with code 0", 0);
            }
            return new Ended(true, "Error", "the container's process exited with code " + code
                    + (runcError != null ? " (" + runc.binary() + ": " + runcError + ")" : ""), code);
        }

        @Override
        public void requestStop(Duration grace) {
            stopAsked.set(true);
            if (grace.isZero() || grace.isNegative()) {
                signal("KILL");
                return;
            }
            if (!graceful.compareAndSet(null, grace)) {
                return; // a graceful stop runs; its timer kills it
            }
            signal("TERM");
            Thread.ofVirtual().name("stop-grace-" + desired.name()).start(() -> {
                try {
                    if (!finished.await(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                        forced.set(true);
                        signal("KILL");
                    }
                } catch (InterruptedException e) {
                    signal("KILL");
                }
            });
        }

        private void signal(String signal) {
            try {
                runc.kill(uid, signal);
            } catch (IOException e) {
                LOG.warnf("signalling container %s (%s) failed: %s", desired.name(), signal, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public boolean awaitFinished(Duration timeout) throws InterruptedException {
            return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public int sendConsoleInput(byte[] bytes) {
            return 0; // a container's stdin is /dev/null
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            try {
                if (!finished.await(0, TimeUnit.MILLISECONDS)) {
                    stopAsked.set(true);
                    signal("KILL");
                    if (!finished.await(30, TimeUnit.SECONDS) && process != null) {
                        process.destroyForcibly();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
