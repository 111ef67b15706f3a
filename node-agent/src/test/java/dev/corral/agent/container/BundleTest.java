package dev.corral.agent.container;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class BundleTest {

    private final ObjectMapper json = new ObjectMapper();

    private JsonNode config(boolean readOnly) {
        return Bundle.config(json, new Bundle.Process(List.of("httpd", "-f"), List.of("PATH=/bin"), "/var/www", 1000, 100, "web",
                "/state/runs/u/rootfs", readOnly, 0.5, 64, "/corral/u/c"));
    }

    private static List<String> strings(JsonNode array) {
        var list = new ArrayList<String>();
        array.forEach(n -> list.add(n.asText()));
        return list;
    }

    @Test
    void theLimitsAreTheSpecsAndTheMemoryLimitIsLeftToTheAgentsCgroup() {
        var linux = config(false).path("linux");
        assertThat(linux.path("cgroupsPath").asText()).isEqualTo("/corral/u/c");
        assertThat(linux.path("resources").path("cpu").path("quota").asLong()).isEqualTo(50_000);
        assertThat(linux.path("resources").path("cpu").path("period").asLong()).isEqualTo(100_000);
        assertThat(linux.path("resources").path("pids").path("limit").asLong()).isEqualTo(64);
        assertThat(linux.path("resources").has("memory")).isFalse(); // on corral/<uid>, so that an OOM is seen (Cgroups)
    }

    @Test
    void itIsConfinedByDefault() {
        var c = config(true);
        var process = c.path("process");
        assertThat(process.path("noNewPrivileges").asBoolean()).isTrue();
        assertThat(process.path("terminal").asBoolean()).isFalse();
        assertThat(process.path("user").path("uid").asInt()).isEqualTo(1000);
        assertThat(strings(process.path("capabilities").path("bounding"))).hasSize(14).doesNotContain("CAP_SYS_ADMIN", "CAP_NET_ADMIN");
        assertThat(process.path("capabilities").has("ambient")).isFalse();
        var namespaces = new ArrayList<String>();
        c.path("linux").path("namespaces").forEach(n -> namespaces.add(n.path("type").asText()));
        assertThat(namespaces).containsExactlyInAnyOrder("pid", "network", "ipc", "uts", "mount", "cgroup");
        assertThat(strings(c.path("linux").path("maskedPaths"))).contains("/proc/kcore", "/sys/firmware");
        assertThat(strings(c.path("linux").path("readonlyPaths"))).contains("/proc/sys", "/proc/sysrq-trigger");
        var seccomp = c.path("linux").path("seccomp");
        assertThat(seccomp.path("defaultAction").asText()).isEqualTo("SCMP_ACT_ALLOW");
        assertThat(strings(seccomp.path("syscalls").get(0).path("names"))).contains("mount", "unshare", "setns", "kexec_load", "bpf");
        assertThat(c.path("root").path("readonly").asBoolean()).isTrue();
    }

    @Test
    void commandReplacesTheEntrypointAndDropsTheCmdWhileArgsReplaceOnlyTheCmd() {
        var entrypoint = List.of("/docker-entrypoint.sh");
        var cmd = List.of("nginx", "-g", "daemon off;");
        assertThat(Bundle.args(null, null, entrypoint, cmd)).containsExactly("/docker-entrypoint.sh", "nginx", "-g", "daemon off;");
        assertThat(Bundle.args(null, List.of("sh"), entrypoint, cmd)).containsExactly("/docker-entrypoint.sh", "sh");
        assertThat(Bundle.args(List.of("sh", "-c"), null, entrypoint, cmd)).containsExactly("sh", "-c");
        assertThat(Bundle.args(List.of("sh", "-c"), List.of("echo hi"), entrypoint, cmd)).containsExactly("sh", "-c", "echo hi");
        assertThat(Bundle.args(null, null, null, null)).isEmpty();
    }

    @Test
    void theContainersEnvironmentOverridesTheImagesByName() {
        Map<String, String> mine = new LinkedHashMap<>();
        mine.put("MODE", "prod");
        mine.put("EXTRA", "1");
        assertThat(Bundle.env(List.of("PATH=/usr/bin", "MODE=dev", "EMPTY"), mine))
                .containsExactly("PATH=/usr/bin", "MODE=prod", "EMPTY=", "EXTRA=1");
        assertThat(Bundle.env(null, null)).containsExactly("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }
}
