package dev.corral.agent.container;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * runc (or crun, which takes the same commands), driven as a process: each call is an argument list, never a shell
 * string. Its state lives under {@code --root}, the agent's own directory, so {@code runc list} there is exactly this
 * agent's containers.
 */
final class Runc {

    /** A runc call failed; the message holds what it said. */
    static final class RuncException extends IOException {
        RuncException(String message) {
            super(message);
        }
    }

    /** How a run in the foreground ended, or how a process run in a container ended. */
    record Exit(int code, String output, boolean truncated, boolean timedOut) {
    }

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    private static final File DEV_NULL = new File("/dev/null");

    private final String binary;
    private final Path root;
    private final ObjectMapper json;

    Runc(String binary, Path root, ObjectMapper json) {
        this.binary = binary;
        this.root = root;
        this.json = json;
    }

    String binary() {
        return binary;
    }

    /** Whether the binary runs at all ({@code --version}). */
    Optional<String> version() {
        try {
            var p = new ProcessBuilder(binary, "--version").redirectErrorStream(true).redirectInput(DEV_NULL).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? Optional.of(out.lines().findFirst().orElse(binary)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /**
     * The supervisor of one run, a POSIX shell script that outlives the agent: it holds the run's output FIFO open
     * (read and write, so the container never writes into a pipe without a reader while no agent reads it: it blocks
     * once the pipe's 64 KiB are full, and the next agent reads on), runs {@code runc run} in the foreground with the
     * container's stdout and stderr on that FIFO, and writes runc's exit status (the container's: 128 + signal when
     * killed) to the exit file, whole (written aside, renamed). Every value is a positional parameter: nothing is
     * spliced into the script.
     */
    private static final String SUPERVISOR = """
            exec 3<>"$1"
            "$2" --root "$3" --log "$4" --log-format json run --bundle "$5" --pid-file "$6" "$7" </dev/null >"$1" 2>&1 3>&-
            code=$?
            echo "$code" >"$8.tmp" && mv -f "$8.tmp" "$8"
            exit "$code"
            """;

    /** Where a run keeps its supervised state, all in its bundle directory. */
    record RunFiles(Path bundle, Path pidFile, Path log, Path output, Path exit, Path supervisorLog) {
        static RunFiles in(Path dir) {
            return new RunFiles(dir, dir.resolve("pid"), dir.resolve("runc.log"), dir.resolve("output"), dir.resolve("exit"),
                    dir.resolve("supervisor.log"));
        }
    }

    /**
     * Starts the run's supervisor ({@link #SUPERVISOR}) in a session of its own ({@code setsid}), so that neither the
     * agent's end nor a signal to the agent's process group reaches it: {@code runc run} creates and starts the
     * container and ends when the container's first process does. The returned process is the supervisor; its own
     * output goes to a file, never to a pipe that would break when the agent dies.
     */
    Process run(String id, RunFiles files) throws IOException {
        return new ProcessBuilder("setsid", "sh", "-c", SUPERVISOR, "corral-supervisor", files.output().toString(), binary,
                root.toString(), files.log().toString(), files.bundle().toString(), files.pidFile().toString(), id,
                files.exit().toString())
                .redirectInput(DEV_NULL).redirectErrorStream(true).redirectOutput(files.supervisorLog().toFile()).start();
    }

    /**
     * Whether this runtime runs containers on this host, found by trying: one container in {@code bundle}, whose
     * command does not exist, under the node's cgroups. A runtime that gets as far as the command (its error names
     * {@code command}) has set up the namespaces, mounts and cgroups; any other failure is its reason it cannot, in
     * its own words (crun on a hybrid cgroup hierarchy: "cgroups in hybrid mode not supported"). Empty when it can.
     */
    Optional<String> probe(String id, Path bundle, String command) throws IOException, InterruptedException {
        var r = call(List.of("run", "--bundle", bundle.toString(), id));
        delete(id);
        if (r.output().contains(command)) {
            return Optional.empty();
        }
        String said = r.output().strip().lines().reduce((first, second) -> second).orElse("");
        return Optional.of(binary + " cannot run a container here (exit " + r.code() + "): " + said);
    }

    /** Sends {@code signal} (e.g. TERM, KILL) to the container's first process; false when it no longer runs. */
    boolean kill(String id, String signal) throws IOException, InterruptedException {
        var r = call(List.of("kill", id, signal));
        return r.code() == 0;
    }

    /**
     * Removes the container's state, killing it first if it still runs; nothing when there is none. runc keeps a
     * container's state in a directory of that name under its root, so a container it has not is told without a
     * process (most calls: {@code runc run} removes its state when the container ends).
     */
    void delete(String id) throws IOException, InterruptedException {
        if (!Files.exists(root.resolve(id))) {
            return;
        }
        var r = call(List.of("delete", "--force", id));
        if (r.code() != 0 && !r.output().contains("does not exist") && !r.output().contains("not exist")) {
            throw new RuncException(binary + " delete " + id + " failed (exit " + r.code() + "): " + r.output().trim());
        }
    }

    /** The container's status ({@code created}, {@code running}, {@code stopped}), empty when runc has no such container. */
    Optional<String> status(String id) throws IOException, InterruptedException {
        var r = call(List.of("state", id));
        if (r.code() != 0) {
            return Optional.empty();
        }
        return Optional.of(json.readTree(r.output()).path("status").asText());
    }

    /** The ids of the containers runc has under this agent's root. */
    List<String> list() throws IOException, InterruptedException {
        var r = call(List.of("list", "--quiet"));
        if (r.code() != 0) {
            throw new RuncException(binary + " list failed (exit " + r.code() + "): " + r.output().trim());
        }
        return r.output().lines().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /**
     * Runs {@code command} in the running container (its environment, user, capabilities and limits), without a
     * terminal or input, keeping the first {@code maxOutput} bytes of what it writes. A process still running at
     * {@code timeout} is killed (exit 137, timedOut).
     */
    Exit exec(String id, List<String> command, Duration timeout, int maxOutput, Path pidFile)
            throws IOException, InterruptedException {
        var args = new ArrayList<>(List.of(binary, "--root", root.toString(), "exec", "--pid-file", pidFile.toString(), id));
        args.addAll(command);
        var p = new ProcessBuilder(args).redirectInput(DEV_NULL).redirectErrorStream(true).start();
        var output = new Output(p.getInputStream(), maxOutput);
        boolean timedOut = !p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (timedOut) {
            // runc exec passes on TERM but cannot pass on KILL: kill the process in the container itself.
            try {
                long pid = Long.parseLong(Files.readString(pidFile).trim());
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            } catch (IOException | NumberFormatException e) {
                // Not started yet or gone: killing runc below ends it.
            }
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
            }
        }
        output.finish();
        return new Exit(timedOut ? 137 : p.exitValue(), output.text(), output.truncated(), timedOut);
    }

    private Exit call(List<String> args) throws IOException, InterruptedException {
        var all = new ArrayList<>(List.of(binary, "--root", root.toString()));
        all.addAll(args);
        var p = new ProcessBuilder(all).redirectInput(DEV_NULL).redirectErrorStream(true).start();
        var output = new Output(p.getInputStream(), 64 * 1024);
        if (!p.waitFor(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new RuncException(binary + " " + String.join(" ", args) + " did not finish within " + CALL_TIMEOUT.toSeconds() + " s");
        }
        output.finish();
        return new Exit(p.exitValue(), output.text(), output.truncated(), false);
    }

    /** Reads a process's output on a thread of its own, keeping the first bytes and discarding the rest. */
    private static final class Output {
        private final byte[] kept;
        private int length;
        private boolean truncated;
        private final Thread reader;

        Output(InputStream in, int max) {
            this.kept = new byte[max];
            this.reader = Thread.ofVirtual().name("runc-output").start(() -> {
                var buffer = new byte[8192];
                try (in) {
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        synchronized (this) {
                            int take = Math.min(n, kept.length - length);
                            System.arraycopy(buffer, 0, kept, length, take);
                            length += take;
                            truncated |= take < n;
                        }
                    }
                } catch (IOException e) {
                    // The process ended and closed its side.
                }
            });
        }

        void finish() throws InterruptedException {
            reader.join(Duration.ofSeconds(5));
        }

        synchronized String text() {
            return new String(kept, 0, length, StandardCharsets.UTF_8);
        }

        synchronized boolean truncated() {
            return truncated;
        }
    }
}
