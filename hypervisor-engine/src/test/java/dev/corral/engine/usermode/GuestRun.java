package dev.corral.engine.usermode;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What a guest printed and how it ended, on the software CPU or natively: the two must be equal. */
record GuestRun(String stdout, String stderr, int exitStatus) {

    /** The fixed environment both sides get, so that output cannot depend on the test runner's. */
    static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin", "LC_ALL", "C");

    static GuestRun soft(UserModeConfig config, Path cwd, Path elf, List<String> argv, String stdin) throws Exception {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        List<String> diagnostics = new ArrayList<>();
        var result = UserMode.run(config.withDiagnostics(diagnostics::add), elf, argv, ENV,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out, err, cwd);
        String errText = err.toString(StandardCharsets.UTF_8) + String.join("\n", diagnostics);
        return new GuestRun(out.toString(StandardCharsets.UTF_8), errText, result.exitStatus());
    }

    static GuestRun soft(Path cwd, Path elf, List<String> argv) throws Exception {
        return soft(UserModeConfig.defaults(), cwd, elf, argv, "");
    }

    /** argv[0] is passed as the program name, as execve would. */
    static GuestRun nativeRun(Path cwd, Path elf, List<String> argv, String stdin) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(elf.toString());
        cmd.addAll(argv.subList(1, argv.size()));
        var pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        pb.environment().clear();
        pb.environment().putAll(ENV);
        Process p = pb.start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(cmd + " did not finish natively");
        }
        return new GuestRun(new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8), p.exitValue());
    }

    static GuestRun nativeRun(Path cwd, Path elf, List<String> argv) throws IOException, InterruptedException {
        return nativeRun(cwd, elf, argv, "");
    }
}
