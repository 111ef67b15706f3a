package dev.corral.agent.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.jboss.logging.Logger;

/** Which OCI runtime runs this node's containers, found by trying each once rather than assumed from the host. */
public final class RuntimeProbe {

    private static final Logger LOG = Logger.getLogger(RuntimeProbe.class);

    private RuntimeProbe() {
    }

    /**
     * What runs containers here: {@code runc} unless {@code setting} names another; {@code auto} takes crun where it
     * is installed and runs a container on this host's cgroups (it refuses cgroup v1 with a v2 mount beside it,
     * "hybrid", as on this project's hosts), runc everywhere else. Detected by trying ({@link Runc#probe}), not assumed
     * from the layout.
     */
    public static String choose(String setting, Cgroups cgroups, Path stateDir, ObjectMapper json) {
        if (!"auto".equals(setting)) {
            return setting;
        }
        boolean installed = java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, "crun")));
        if (!installed || cgroups == null) {
            return "runc";
        }
        try {
            Files.createDirectories(stateDir.resolve("runs"));
            Files.createDirectories(stateDir.resolve("runc"));
        } catch (IOException e) {
            return "runc";
        }
        var crun = new Runc("crun", stateDir.resolve("runc"), json);
        var refused = probe(crun, cgroups, stateDir.resolve("runs"), json);
        refused.ifPresent(why -> LOG.infof("containers are run by runc: %s", why));
        return refused.isPresent() ? "runc" : "crun";
    }

    /** Tries the runtime once ({@link Runc#probe}): empty when it runs containers here, else why not. */
    static Optional<String> probe(Runc runtime, Cgroups cgroups, Path runs, ObjectMapper json) {
        String id = "corral-probe-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path bundle = runs.resolve(id);
        String command = "/" + id;
        try {
            Files.createDirectories(bundle.resolve("rootfs"));
            var process = new Bundle.Process(List.of(command), Bundle.env(null, null), "/", 0, 0, "probe",
                    bundle.resolve("rootfs").toString(), false, 1, 16, Cgroups.runcPath(id));
            Files.write(bundle.resolve("config.json"), json.writeValueAsBytes(Bundle.config(json, process)));
            return runtime.probe(id, bundle, command);
        } catch (IOException e) {
            return Optional.of(runtime.binary() + " could not be tried: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while trying " + runtime.binary());
        } finally {
            try {
                cgroups.remove(id);
                Tree.delete(bundle);
            } catch (IOException e) {
                LOG.warnf("cleaning up after trying %s failed: %s", runtime.binary(), e.getMessage());
            }
        }
    }

}
